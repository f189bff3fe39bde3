/*
 * The key file: a random data key wrapped (AES-256-GCM) under a key-encryption key derived from the
 * passphrase with scrypt. Layout (172 bytes, integers big-endian):
 *   0  magic "FIELDVFS"       8  version (u32 = 1)     12 KDF id (u32, 1 = scrypt)
 *   16 log2(N) (u64)          24 r (u32)               28 p (u32)
 *   32 salt (32)              64 database id (16)      80 wrap nonce (12)
 *   92 wrapped data key (32) 124 wrap tag (16)        140 SHA-256 of bytes 0-139 (32)
 * Bytes 0-79 are the wrap's associated data. The SHA-256 separates a damaged file from a wrong passphrase.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "fv_internal.h"

#define KF_LEN 172
#define KF_AAD_LEN 80
#define KF_HASHED_LEN 140
#define KF_SALT_LEN 32
#define KF_MAX_MEM ((uint64_t)1 << 30)

static const unsigned char kf_magic[8] = {'F', 'I', 'E', 'L', 'D', 'V', 'F', 'S'};

/* Test hook: a simulated crash at one step of one key file's next passphrase change. */
static pthread_mutex_t g_fault_mutex = PTHREAD_MUTEX_INITIALIZER;
static char *g_fault_path;
static int g_fault_step;

void fieldvfs_testing_set_fault(const char *keyfile_path, int step) {
    char *copy = keyfile_path != NULL && step != 0 ? strdup(keyfile_path) : NULL;
    pthread_mutex_lock(&g_fault_mutex);
    free(g_fault_path);
    g_fault_path = copy;
    g_fault_step = copy != NULL ? step : 0;
    pthread_mutex_unlock(&g_fault_mutex);
}

/* True (once) if a fault was armed for this path at this step. */
static int kf_fault(const char *path, int step) {
    int hit = 0;
    pthread_mutex_lock(&g_fault_mutex);
    if (g_fault_path != NULL && g_fault_step == step && strcmp(g_fault_path, path) == 0) {
        hit = 1;
        free(g_fault_path);
        g_fault_path = NULL;
        g_fault_step = 0;
    }
    pthread_mutex_unlock(&g_fault_mutex);
    return hit;
}

static void put64(unsigned char *p, uint64_t v) {
    fv_put32(p, (unsigned int)(v >> 32));
    fv_put32(p + 4, (unsigned int)v);
}

static uint64_t get64(const unsigned char *p) {
    return ((uint64_t)fv_get32(p) << 32) | fv_get32(p + 4);
}

/* scrypt's memory need (OpenSSL's own formula, with headroom); also the bound that rejects absurd params. */
static uint64_t kf_scrypt_mem(const fieldvfs_kdf_params *k) {
    uint64_t n = (uint64_t)1 << k->log2_n;
    return 128ULL * k->r * (n + 2) + 128ULL * k->r * k->p + (1 << 20);
}

static int kf_params_ok(const fieldvfs_kdf_params *k) {
    if (k->log2_n < 1 || k->log2_n > 24 || k->r < 1 || k->r > 64 || k->p < 1 || k->p > 64) return 0;
    return kf_scrypt_mem(k) <= KF_MAX_MEM;
}

static int kf_derive(const char *pass, size_t passlen, const unsigned char *salt, const fieldvfs_kdf_params *k,
                     unsigned char out[FV_KEY_LEN]) {
    static const char empty[1] = {0};
    uint64_t n = (uint64_t)1 << k->log2_n;
    uint32_t r = k->r;
    uint32_t p = k->p;
    uint64_t maxmem = kf_scrypt_mem(k);
    OSSL_PARAM params[7];
    int rc = FIELDVFS_CRYPTO;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
    if (ctx != NULL) {
        params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                                      (void *)(passlen > 0 ? pass : empty), passlen);
        params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, KF_SALT_LEN);
        params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
        params[3] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
        params[4] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
        params[5] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
        params[6] = OSSL_PARAM_construct_end();
        if (EVP_KDF_derive(ctx, out, FV_KEY_LEN, params) == 1) rc = FIELDVFS_OK;
    }
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return rc;
}

static int kf_sha256(const unsigned char *in, size_t len, unsigned char out[32]) {
    unsigned int outlen = 0;
    return EVP_Digest(in, len, out, &outlen, EVP_sha256(), NULL) == 1 && outlen == 32 ? FIELDVFS_OK
                                                                                     : FIELDVFS_CRYPTO;
}

/* Fills a key-file image around the given data key and database id, under a fresh salt and nonce. */
static int kf_build(unsigned char file[KF_LEN], const char *pass, size_t passlen, const fieldvfs_kdf_params *k,
                    const unsigned char data_key[FV_KEY_LEN], const unsigned char dbid[FV_DBID_LEN]) {
    unsigned char kek[FV_KEY_LEN];
    int len = 0;
    int rc;
    memset(file, 0, KF_LEN);
    memcpy(file, kf_magic, 8);
    fv_put32(file + 8, 1);
    fv_put32(file + 12, 1);
    put64(file + 16, k->log2_n);
    fv_put32(file + 24, k->r);
    fv_put32(file + 28, k->p);
    if (RAND_bytes(file + 32, KF_SALT_LEN) != 1 || RAND_bytes(file + 80, FV_NONCE_LEN) != 1) return FIELDVFS_CRYPTO;
    memcpy(file + 64, dbid, FV_DBID_LEN);
    rc = kf_derive(pass, passlen, file + 32, k, kek);
    if (rc != FIELDVFS_OK) return rc;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = ctx != NULL
        && EVP_EncryptInit_ex2(ctx, EVP_aes_256_gcm(), kek, file + 80, NULL) == 1
        && EVP_EncryptUpdate(ctx, NULL, &len, file, KF_AAD_LEN) == 1
        && EVP_EncryptUpdate(ctx, file + 92, &len, data_key, FV_KEY_LEN) == 1
        && EVP_EncryptFinal_ex(ctx, file + 92 + len, &len) == 1
        && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, FV_TAG_LEN, file + 124) == 1;
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(kek, sizeof(kek));
    if (!ok) return FIELDVFS_CRYPTO;
    return kf_sha256(file, KF_HASHED_LEN, file + KF_HASHED_LEN);
}

static int kf_read(const char *path, unsigned char file[KF_LEN]) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? FIELDVFS_NOT_FOUND : FIELDVFS_IO;
    unsigned char extra;
    size_t have = 0;
    int rc = FIELDVFS_OK;
    while (have < KF_LEN) {
        ssize_t n = read(fd, file + have, KF_LEN - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = FIELDVFS_IO;
            break;
        }
        if (n == 0) break;
        have += (size_t)n;
    }
    if (rc == FIELDVFS_OK && (have != KF_LEN || read(fd, &extra, 1) != 0)) rc = FIELDVFS_DAMAGED;
    close(fd);
    return rc;
}

/* Checks structure and integrity; on success fills the KDF parameters. */
static int kf_parse(const unsigned char file[KF_LEN], fieldvfs_kdf_params *k) {
    unsigned char hash[32];
    if (memcmp(file, kf_magic, 8) != 0 || fv_get32(file + 8) != 1 || fv_get32(file + 12) != 1) {
        return FIELDVFS_DAMAGED;
    }
    if (kf_sha256(file, KF_HASHED_LEN, hash) != FIELDVFS_OK) return FIELDVFS_CRYPTO;
    if (CRYPTO_memcmp(hash, file + KF_HASHED_LEN, 32) != 0) return FIELDVFS_DAMAGED;
    k->log2_n = get64(file + 16);
    k->r = fv_get32(file + 24);
    k->p = fv_get32(file + 28);
    return kf_params_ok(k) ? FIELDVFS_OK : FIELDVFS_DAMAGED;
}

static int kf_unwrap(const unsigned char file[KF_LEN], const char *pass, size_t passlen,
                     unsigned char data_key[FV_KEY_LEN]) {
    fieldvfs_kdf_params k;
    unsigned char kek[FV_KEY_LEN];
    unsigned char tag[FV_TAG_LEN];
    int len = 0;
    int rc = kf_parse(file, &k);
    if (rc != FIELDVFS_OK) return rc;
    rc = kf_derive(pass, passlen, file + 32, &k, kek);
    if (rc != FIELDVFS_OK) return rc;
    memcpy(tag, file + 124, FV_TAG_LEN);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = ctx != NULL
        && EVP_DecryptInit_ex2(ctx, EVP_aes_256_gcm(), kek, file + 80, NULL) == 1
        && EVP_DecryptUpdate(ctx, NULL, &len, file, KF_AAD_LEN) == 1
        && EVP_DecryptUpdate(ctx, data_key, &len, file + 92, FV_KEY_LEN) == 1
        && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, FV_TAG_LEN, tag) == 1
        && EVP_DecryptFinal_ex(ctx, data_key + len, &len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(kek, sizeof(kek));
    if (!ok) {
        OPENSSL_cleanse(data_key, FV_KEY_LEN);
        return FIELDVFS_WRONG_PASSPHRASE; /* the file is intact (hash checked), so the passphrase is wrong */
    }
    return FIELDVFS_OK;
}

static int kf_fsync_dir(const char *path) {
    char *copy = strdup(path);
    if (copy == NULL) return FIELDVFS_IO;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0) return FIELDVFS_IO;
    int rc = fsync(fd) == 0 ? FIELDVFS_OK : FIELDVFS_IO;
    close(fd);
    return rc;
}

/*
 * Writes the image next to path, syncs it, then either links it into place (exclusive: fails if path exists)
 * or renames it over path (atomic replace), then syncs the directory.
 */
static int kf_write_atomic(const char *path, const unsigned char file[KF_LEN], int exclusive) {
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (tmp == NULL) return FIELDVFS_IO;
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return FIELDVFS_IO;
    }
    int rc = FIELDVFS_OK;
    size_t done = 0;
    if (fchmod(fd, 0600) != 0) rc = FIELDVFS_IO;
    while (rc == FIELDVFS_OK && done < KF_LEN) {
        ssize_t n = write(fd, file + done, KF_LEN - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) rc = FIELDVFS_IO;
        else done += (size_t)n;
    }
    if (rc == FIELDVFS_OK && fsync(fd) != 0) rc = FIELDVFS_IO;
    if (close(fd) != 0 && rc == FIELDVFS_OK) rc = FIELDVFS_IO;
    if (rc == FIELDVFS_OK && !exclusive && kf_fault(path, 1)) {
        free(tmp);
        return FIELDVFS_IO; /* simulated crash: the temporary file is left behind, the old file untouched */
    }
    if (rc == FIELDVFS_OK) {
        if (exclusive) {
            if (link(tmp, path) != 0) rc = errno == EEXIST ? FIELDVFS_EXISTS : FIELDVFS_IO;
            unlink(tmp);
        } else if (rename(tmp, path) != 0) {
            rc = FIELDVFS_IO;
        }
    }
    if (rc != FIELDVFS_OK) unlink(tmp);
    free(tmp);
    if (rc != FIELDVFS_OK) return rc;
    if (!exclusive && kf_fault(path, 2)) {
        return FIELDVFS_IO; /* simulated crash after the rename, before the directory sync */
    }
    return kf_fsync_dir(path);
}

static const fieldvfs_kdf_params kf_defaults = {16, 8, 1};

int fieldvfs_keyfile_create(const char *keyfile_path, const char *pass, size_t passlen,
                            const fieldvfs_kdf_params *params) {
    unsigned char file[KF_LEN];
    unsigned char data_key[FV_KEY_LEN];
    unsigned char dbid[FV_DBID_LEN];
    struct stat st;
    const fieldvfs_kdf_params *k = params != NULL ? params : &kf_defaults;
    if (keyfile_path == NULL || (pass == NULL && passlen > 0) || !kf_params_ok(k)) return FIELDVFS_MISUSE;
    if (stat(keyfile_path, &st) == 0) return FIELDVFS_EXISTS;
    if (RAND_bytes(data_key, FV_KEY_LEN) != 1 || RAND_bytes(dbid, FV_DBID_LEN) != 1) return FIELDVFS_CRYPTO;
    int rc = kf_build(file, pass, passlen, k, data_key, dbid);
    OPENSSL_cleanse(data_key, sizeof(data_key));
    if (rc == FIELDVFS_OK) rc = kf_write_atomic(keyfile_path, file, 1);
    OPENSSL_cleanse(file, sizeof(file));
    return rc;
}

int fieldvfs_keyfile_unlock(const char *keyfile_path, const char *pass, size_t passlen,
                            char out_slot[FIELDVFS_SLOT_LEN]) {
    unsigned char file[KF_LEN];
    unsigned char data_key[FV_KEY_LEN];
    if (keyfile_path == NULL || out_slot == NULL || (pass == NULL && passlen > 0)) return FIELDVFS_MISUSE;
    int rc = kf_read(keyfile_path, file);
    if (rc == FIELDVFS_OK) rc = kf_unwrap(file, pass, passlen, data_key);
    if (rc == FIELDVFS_OK) rc = fv_slot_install(data_key, file + 64, out_slot);
    OPENSSL_cleanse(data_key, sizeof(data_key));
    OPENSSL_cleanse(file, sizeof(file));
    return rc;
}

int fieldvfs_keyfile_change_passphrase(const char *keyfile_path, const char *old_pass, size_t old_len,
                                       const char *new_pass, size_t new_len,
                                       const fieldvfs_kdf_params *params) {
    unsigned char file[KF_LEN];
    unsigned char data_key[FV_KEY_LEN];
    unsigned char dbid[FV_DBID_LEN];
    const fieldvfs_kdf_params *k = params != NULL ? params : &kf_defaults;
    if (keyfile_path == NULL || (old_pass == NULL && old_len > 0) || (new_pass == NULL && new_len > 0)
        || !kf_params_ok(k)) {
        return FIELDVFS_MISUSE;
    }
    int rc = kf_read(keyfile_path, file);
    if (rc == FIELDVFS_OK) rc = kf_unwrap(file, old_pass, old_len, data_key);
    if (rc == FIELDVFS_OK) {
        memcpy(dbid, file + 64, FV_DBID_LEN);
        rc = kf_build(file, new_pass, new_len, k, data_key, dbid);
    }
    if (rc == FIELDVFS_OK) rc = kf_write_atomic(keyfile_path, file, 0);
    OPENSSL_cleanse(data_key, sizeof(data_key));
    OPENSSL_cleanse(file, sizeof(file));
    return rc;
}

int fieldvfs_keyfile_database_id(const char *keyfile_path, unsigned char out_dbid[16]) {
    unsigned char file[KF_LEN];
    fieldvfs_kdf_params k;
    if (keyfile_path == NULL || out_dbid == NULL) return FIELDVFS_MISUSE;
    int rc = kf_read(keyfile_path, file);
    if (rc == FIELDVFS_OK) rc = kf_parse(file, &k);
    if (rc == FIELDVFS_OK) memcpy(out_dbid, file + 64, FV_DBID_LEN);
    OPENSSL_cleanse(file, sizeof(file));
    return rc;
}
