/* Internal declarations shared by the fieldvfs source files. Not part of the public API. */
#ifndef FV_INTERNAL_H
#define FV_INTERNAL_H

/* The warnings the VFS is held to, for every file that includes this header (each one does, first of its own
 * headers). Pragmas rather than compiler flags: SwiftPM refuses unsafe flags in a package used as a dependency. */
#pragma clang diagnostic warning "-Wall"
#pragma clang diagnostic warning "-Wextra"
#pragma clang diagnostic error "-Wimplicit-function-declaration"

#include <sqlite3.h>
#include <openssl/evp.h>

#include "fieldvfs.h"

#define FV_KEY_LEN 32
#define FV_DBID_LEN 16
#define FV_NONCE_LEN 12
#define FV_TAG_LEN 16
#define FV_MIN_PAGE 512
#define FV_MAX_PAGE 65536
#define FV_WAL_HDR 32
#define FV_WAL_FRAME_HDR 24

/* Key material of one unlocked store. */
typedef struct fv_keys {
    unsigned char data_key[FV_KEY_LEN]; /* AES-256-GCM page key */
    unsigned char mask_key[FV_KEY_LEN]; /* AES-256 key for masking checksum fields (derived) */
    unsigned char dbid[FV_DBID_LEN];
} fv_keys;

/* Per-file cipher state: contexts are keyed once at open and reused for every page. */
typedef struct fv_cipher {
    EVP_CIPHER_CTX *enc;
    EVP_CIPHER_CTX *dec;
    EVP_CIPHER_CTX *mask;
    unsigned char dbid[FV_DBID_LEN];
    /* Nonce source: 12 random bytes whose last 4 count up per write; refreshed after 2^32 - 1 writes, and
     * in a forked child (nonce_fork_gen != the process-wide fork generation). */
    unsigned char nonce[FV_NONCE_LEN];
    unsigned int nonce_left;
    unsigned int nonce_fork_gen;
} fv_cipher;

enum { FV_KIND_MAIN = 1, FV_KIND_JOURNAL = 2, FV_KIND_WAL = 3, FV_KIND_MEM = 4 };

/* Domain tags bound into the associated data: a page cannot move between kinds of file. */
enum { FV_DOMAIN_MAIN = 'D', FV_DOMAIN_JOURNAL = 'J', FV_DOMAIN_WAL = 'W' };

typedef struct fv_file {
    sqlite3_file base;
    int kind;
    fv_cipher cipher;
    unsigned char *scratch; /* own buffer: pages are never encrypted in SQLite's buffer */
    int scratch_len;
    int wal_pgsz;           /* WAL: page size from the WAL header (0 = not yet known) */
    /* Journal: the last page record written/read, so the checksum after it can be (un)masked. */
    sqlite3_int64 j_wend;
    unsigned char j_wnonce[FV_NONCE_LEN];
    int j_wvalid;
    sqlite3_int64 j_rend;
    unsigned char j_rnonce[FV_NONCE_LEN];
    int j_rvalid;
    /* WAL: the last frame header written, so the page write after it needs no read-back. */
    sqlite3_int64 w_hdr_off;
    unsigned char w_hdr[FV_WAL_FRAME_HDR];
    int w_hdr_valid;
    /* Main database: page 1 as last read (ciphertext, then plaintext), so the header reads SQLite makes at the
     * start of every rollback-mode transaction skip the decryption while page 1 is unchanged on disk. */
    unsigned char *p1_cache;
    int p1_size;
    /* In-memory temp file. */
    unsigned char *mem;
    sqlite3_int64 mem_len;
    sqlite3_int64 mem_cap;
    sqlite3_file *real; /* the underlying unix file, allocated right after this struct */
} fv_file;

/* Crypto (fv_crypto.c) */
int fv_cipher_init(fv_cipher *c, const fv_keys *k);
void fv_cipher_free(fv_cipher *c);
int fv_seal(fv_cipher *c, const unsigned char *in, unsigned char *out, int pgsz, int start,
            const unsigned char *aad, int aadlen);
int fv_open(fv_cipher *c, const unsigned char *in, unsigned char *out, int pgsz, int start,
            const unsigned char *aad, int aadlen);
int fv_mask(fv_cipher *c, const unsigned char block[16], unsigned char out[16]);
int fv_aad(unsigned char *aad, const fv_cipher *c, int domain, unsigned int pgno, const unsigned char *extra,
           int extralen);
int fv_is_pow2_page(int n);
int fv_all_zero(const unsigned char *p, int n);
unsigned int fv_get32(const unsigned char *p);
void fv_put32(unsigned char *p, unsigned int v);
int fv_scratch(fv_file *f, int n);

/* Key slots (fv_slots.c) */
int fv_slot_install(const unsigned char data_key[FV_KEY_LEN], const unsigned char dbid[FV_DBID_LEN],
                    char out_slot[FIELDVFS_SLOT_LEN]);
int fv_slot_copy(const char *slot, fv_keys *out);

/* File kinds (fv_main.c, fv_journal.c, fv_wal.c, fv_memfile.c) */
int fv_main_read(fv_file *f, void *buf, int amt, sqlite3_int64 off);
int fv_main_write(fv_file *f, const void *buf, int amt, sqlite3_int64 off);
int fv_journal_read(fv_file *f, void *buf, int amt, sqlite3_int64 off);
int fv_journal_write(fv_file *f, const void *buf, int amt, sqlite3_int64 off);
int fv_wal_read(fv_file *f, void *buf, int amt, sqlite3_int64 off);
int fv_wal_write(fv_file *f, const void *buf, int amt, sqlite3_int64 off);
extern const sqlite3_io_methods fv_mem_methods;

/* Reads from the real file; fills *got with the number of bytes present (short reads are not errors). */
int fv_real_read(fv_file *f, void *buf, int amt, sqlite3_int64 off, int *got);

#endif /* FV_INTERNAL_H */
