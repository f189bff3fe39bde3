/* Page sealing: AES-256-GCM with a fresh unique nonce per write; nonce and tag in the page's last 28 bytes. */
#include <string.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdatomic.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "fv_internal.h"

static EVP_CIPHER *g_gcm;
static EVP_CIPHER *g_ecb;
static pthread_once_t g_fetch_once = PTHREAD_ONCE_INIT;
static atomic_uint g_fork_gen;

/* A forked child must never continue its parent's nonce sequence. */
static void fv_after_fork_in_child(void) {
    atomic_fetch_add(&g_fork_gen, 1);
}

/* Fetch the ciphers once: an implicit fetch on every init would cost a lookup per page. */
static void fv_fetch_ciphers(void) {
    g_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    g_ecb = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
    pthread_atfork(NULL, NULL, fv_after_fork_in_child);
}

/*
 * The next unique nonce for this file handle: a random 96-bit start whose low 32 bits count up. Two handles
 * under one key collide only if their random 64-bit prefixes match and their counter ranges overlap, which is
 * negligible; it spares a DRBG call (about as costly as sealing the page) on every write.
 */
static int fv_next_nonce(fv_cipher *c, unsigned char out[FV_NONCE_LEN]) {
    unsigned int gen = atomic_load(&g_fork_gen);
    if (c->nonce_left == 0 || c->nonce_fork_gen != gen) {
        if (RAND_bytes(c->nonce, FV_NONCE_LEN) != 1) return SQLITE_IOERR_WRITE;
        c->nonce_left = 0xffffffffu;
        c->nonce_fork_gen = gen;
    }
    unsigned int ctr = fv_get32(c->nonce + 8) + 1;
    fv_put32(c->nonce + 8, ctr);
    c->nonce_left--;
    memcpy(out, c->nonce, FV_NONCE_LEN);
    return SQLITE_OK;
}

int fv_cipher_init(fv_cipher *c, const fv_keys *k) {
    memset(c, 0, sizeof(*c));
    pthread_once(&g_fetch_once, fv_fetch_ciphers);
    if (g_gcm == NULL || g_ecb == NULL) return SQLITE_ERROR;
    c->enc = EVP_CIPHER_CTX_new();
    c->dec = EVP_CIPHER_CTX_new();
    c->mask = EVP_CIPHER_CTX_new();
    if (c->enc == NULL || c->dec == NULL || c->mask == NULL) goto fail;
    if (EVP_EncryptInit_ex2(c->enc, g_gcm, k->data_key, NULL, NULL) != 1) goto fail;
    if (EVP_DecryptInit_ex2(c->dec, g_gcm, k->data_key, NULL, NULL) != 1) goto fail;
    if (EVP_EncryptInit_ex2(c->mask, g_ecb, k->mask_key, NULL, NULL) != 1) goto fail;
    EVP_CIPHER_CTX_set_padding(c->mask, 0);
    memcpy(c->dbid, k->dbid, FV_DBID_LEN);
    return SQLITE_OK;
fail:
    fv_cipher_free(c);
    return SQLITE_ERROR;
}

void fv_cipher_free(fv_cipher *c) {
    /* EVP_CIPHER_CTX_free cleanses the expanded keys. */
    EVP_CIPHER_CTX_free(c->enc);
    EVP_CIPHER_CTX_free(c->dec);
    EVP_CIPHER_CTX_free(c->mask);
    OPENSSL_cleanse(c, sizeof(*c));
}

int fv_aad(unsigned char *aad, const fv_cipher *c, int domain, unsigned int pgno, const unsigned char *extra,
           int extralen) {
    memcpy(aad, c->dbid, FV_DBID_LEN);
    aad[FV_DBID_LEN] = (unsigned char)domain;
    fv_put32(aad + FV_DBID_LEN + 1, pgno);
    if (extralen > 0) memcpy(aad + FV_DBID_LEN + 5, extra, (size_t)extralen);
    return FV_DBID_LEN + 5 + extralen;
}

/*
 * Encrypts in[start, pgsz-28) into out[start, pgsz-28) and writes nonce + tag to out[pgsz-28, pgsz).
 * out must not be SQLite's buffer. Bytes of out below start are left to the caller.
 */
int fv_seal(fv_cipher *c, const unsigned char *in, unsigned char *out, int pgsz, int start,
            const unsigned char *aad, int aadlen) {
    int body = pgsz - FIELDVFS_RESERVE_BYTES;
    unsigned char *nonce = out + body;
    unsigned char *tag = nonce + FV_NONCE_LEN;
    int len = 0;
    if (fv_next_nonce(c, nonce) != SQLITE_OK) return SQLITE_IOERR_WRITE;
    if (EVP_EncryptInit_ex2(c->enc, NULL, NULL, nonce, NULL) != 1) return SQLITE_IOERR_WRITE;
    if (EVP_EncryptUpdate(c->enc, NULL, &len, aad, aadlen) != 1) return SQLITE_IOERR_WRITE;
    if (EVP_EncryptUpdate(c->enc, out + start, &len, in + start, body - start) != 1) return SQLITE_IOERR_WRITE;
    if (EVP_EncryptFinal_ex(c->enc, out + start + len, &len) != 1) return SQLITE_IOERR_WRITE;
    if (EVP_CIPHER_CTX_ctrl(c->enc, EVP_CTRL_GCM_GET_TAG, FV_TAG_LEN, tag) != 1) return SQLITE_IOERR_WRITE;
    return SQLITE_OK;
}

/*
 * Decrypts and authenticates in[start, pgsz-28) into out (which may equal in). On success the reserved bytes of
 * out are zeroed, as SQLite expects them; on failure out[start, pgsz) is zeroed and SQLITE_IOERR_DATA returned.
 */
int fv_open(fv_cipher *c, const unsigned char *in, unsigned char *out, int pgsz, int start,
            const unsigned char *aad, int aadlen) {
    int body = pgsz - FIELDVFS_RESERVE_BYTES;
    unsigned char nonce[FV_NONCE_LEN];
    unsigned char tag[FV_TAG_LEN];
    int len = 0;
    int ok;
    memcpy(nonce, in + body, FV_NONCE_LEN);
    memcpy(tag, in + body + FV_NONCE_LEN, FV_TAG_LEN);
    ok = EVP_DecryptInit_ex2(c->dec, NULL, NULL, nonce, NULL) == 1
        && EVP_DecryptUpdate(c->dec, NULL, &len, aad, aadlen) == 1
        && EVP_DecryptUpdate(c->dec, out + start, &len, in + start, body - start) == 1
        && EVP_CIPHER_CTX_ctrl(c->dec, EVP_CTRL_GCM_SET_TAG, FV_TAG_LEN, tag) == 1
        && EVP_DecryptFinal_ex(c->dec, out + start + len, &len) == 1;
    if (!ok) {
        memset(out + start, 0, (size_t)(pgsz - start));
        return SQLITE_IOERR_DATA;
    }
    memset(out + body, 0, FIELDVFS_RESERVE_BYTES);
    return SQLITE_OK;
}

/* One AES block under the mask key: a pseudo-random pad for checksum fields. */
int fv_mask(fv_cipher *c, const unsigned char block[16], unsigned char out[16]) {
    int len = 0;
    if (EVP_EncryptUpdate(c->mask, out, &len, block, 16) != 1 || len != 16) return SQLITE_IOERR;
    return SQLITE_OK;
}

int fv_is_pow2_page(int n) {
    return n >= FV_MIN_PAGE && n <= FV_MAX_PAGE && (n & (n - 1)) == 0;
}

int fv_all_zero(const unsigned char *p, int n) {
    unsigned char acc = 0;
    for (int i = 0; i < n; i++) acc |= p[i];
    return acc == 0;
}

unsigned int fv_get32(const unsigned char *p) {
    return ((unsigned int)p[0] << 24) | ((unsigned int)p[1] << 16) | ((unsigned int)p[2] << 8) | p[3];
}

void fv_put32(unsigned char *p, unsigned int v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Grows the file's own scratch buffer; allocation happens once per file, not per page. */
int fv_scratch(fv_file *f, int n) {
    if (f->scratch_len >= n) return SQLITE_OK;
    unsigned char *p = malloc((size_t)n);
    if (p == NULL) return SQLITE_NOMEM;
    if (f->scratch != NULL) {
        OPENSSL_cleanse(f->scratch, (size_t)f->scratch_len);
        free(f->scratch);
    }
    f->scratch = p;
    f->scratch_len = n;
    return SQLITE_OK;
}
