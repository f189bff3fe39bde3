/* In-process key slots: the URI carries only an opaque random slot id, never the key. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "fv_internal.h"

typedef struct fv_slot {
    struct fv_slot *next;
    char id[FIELDVFS_SLOT_LEN];
    fv_keys keys;
} fv_slot;

static pthread_mutex_t g_slots_mutex = PTHREAD_MUTEX_INITIALIZER;
static fv_slot *g_slots;

/* The checksum-mask key is derived, so one data key never serves two purposes. */
static int fv_derive_mask_key(const unsigned char data_key[FV_KEY_LEN], unsigned char out[FV_KEY_LEN]) {
    static const char label[] = "fieldvfs mask key v1";
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    int ok = md != NULL
        && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1
        && EVP_DigestUpdate(md, label, sizeof(label)) == 1
        && EVP_DigestUpdate(md, data_key, FV_KEY_LEN) == 1
        && EVP_DigestFinal_ex(md, out, &len) == 1 && len == FV_KEY_LEN;
    EVP_MD_CTX_free(md);
    return ok ? FIELDVFS_OK : FIELDVFS_CRYPTO;
}

int fv_slot_install(const unsigned char data_key[FV_KEY_LEN], const unsigned char dbid[FV_DBID_LEN],
                    char out_slot[FIELDVFS_SLOT_LEN]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char rnd[16];
    fv_slot *s = calloc(1, sizeof(*s));
    if (s == NULL) return FIELDVFS_IO;
    if (RAND_bytes(rnd, sizeof(rnd)) != 1 || fv_derive_mask_key(data_key, s->keys.mask_key) != FIELDVFS_OK) {
        OPENSSL_cleanse(s, sizeof(*s));
        free(s);
        return FIELDVFS_CRYPTO;
    }
    for (int i = 0; i < 16; i++) {
        s->id[2 * i] = hex[rnd[i] >> 4];
        s->id[2 * i + 1] = hex[rnd[i] & 15];
    }
    s->id[32] = '\0';
    memcpy(s->keys.data_key, data_key, FV_KEY_LEN);
    memcpy(s->keys.dbid, dbid, FV_DBID_LEN);
    pthread_mutex_lock(&g_slots_mutex);
    s->next = g_slots;
    g_slots = s;
    pthread_mutex_unlock(&g_slots_mutex);
    memcpy(out_slot, s->id, FIELDVFS_SLOT_LEN);
    return FIELDVFS_OK;
}

int fv_slot_copy(const char *slot, fv_keys *out) {
    int rc = FIELDVFS_NOT_FOUND;
    if (slot == NULL) return rc;
    pthread_mutex_lock(&g_slots_mutex);
    for (fv_slot *s = g_slots; s != NULL; s = s->next) {
        if (strcmp(s->id, slot) == 0) {
            memcpy(out, &s->keys, sizeof(*out));
            rc = FIELDVFS_OK;
            break;
        }
    }
    pthread_mutex_unlock(&g_slots_mutex);
    return rc;
}

int fieldvfs_slot_release(const char *slot) {
    fv_slot *found = NULL;
    if (slot == NULL) return FIELDVFS_MISUSE;
    pthread_mutex_lock(&g_slots_mutex);
    for (fv_slot **pp = &g_slots; *pp != NULL; pp = &(*pp)->next) {
        if (strcmp((*pp)->id, slot) == 0) {
            found = *pp;
            *pp = found->next;
            break;
        }
    }
    pthread_mutex_unlock(&g_slots_mutex);
    if (found == NULL) return FIELDVFS_NOT_FOUND;
    OPENSSL_cleanse(found, sizeof(*found));
    free(found);
    return FIELDVFS_OK;
}

int fieldvfs_slot_count(void) {
    int n = 0;
    pthread_mutex_lock(&g_slots_mutex);
    for (fv_slot *s = g_slots; s != NULL; s = s->next) n++;
    pthread_mutex_unlock(&g_slots_mutex);
    return n;
}

int fieldvfs_slot_export(const char *slot, unsigned char out_key[32], unsigned char out_dbid[16]) {
    fv_keys keys;
    if (out_key == NULL || out_dbid == NULL) return FIELDVFS_MISUSE;
    int rc = fv_slot_copy(slot, &keys);
    if (rc == FIELDVFS_OK) {
        memcpy(out_key, keys.data_key, FV_KEY_LEN);
        memcpy(out_dbid, keys.dbid, FV_DBID_LEN);
    }
    OPENSSL_cleanse(&keys, sizeof(keys));
    return rc;
}

int fieldvfs_slot_import(const unsigned char key[32], const unsigned char dbid[16], char out_slot[FIELDVFS_SLOT_LEN]) {
    if (key == NULL || dbid == NULL || out_slot == NULL) return FIELDVFS_MISUSE;
    return fv_slot_install(key, dbid, out_slot);
}

void fieldvfs_harden_process(void) {
    struct rlimit none = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &none);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
