/*
 * Main database file. Every write is one whole page, sealed into the file's own buffer.
 * Page 1 on disk: bytes 0-15 hold the database id (never "SQLite format 3"), bytes 16-23 stay plaintext
 * (page size, versions, reserve: needed to find page boundaries before decrypting), bytes 24.. are encrypted.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "fv_internal.h"

static const unsigned char k_sqlite_magic[16] = "SQLite format 3";

static int fv_header_page_size(const unsigned char *p16) {
    int v = (p16[0] << 8) | p16[1];
    return v == 1 ? 65536 : v;
}

/* Decrypts page pgno in place. On failure the whole page is zeroed and SQLITE_IOERR_DATA returned. */
static int fv_main_open_page(fv_file *f, unsigned char *page, int pgsz, unsigned int pgno) {
    unsigned char aad[64];
    int n, rc;
    if (pgno == 1) {
        if (memcmp(page, f->cipher.dbid, FV_DBID_LEN) != 0) {
            memset(page, 0, (size_t)pgsz);
            sqlite3_log(SQLITE_IOERR_DATA, "fieldvfs: database id mismatch (another store's key, or tampered)");
            return SQLITE_IOERR_DATA;
        }
        n = fv_aad(aad, &f->cipher, FV_DOMAIN_MAIN, 1, page + 16, 8);
        rc = fv_open(&f->cipher, page, page, pgsz, 24, aad, n);
        if (rc == SQLITE_OK) memcpy(page, k_sqlite_magic, 16);
    } else {
        n = fv_aad(aad, &f->cipher, FV_DOMAIN_MAIN, pgno, NULL, 0);
        rc = fv_open(&f->cipher, page, page, pgsz, 0, aad, n);
    }
    if (rc != SQLITE_OK) {
        memset(page, 0, (size_t)pgsz);
        sqlite3_log(rc, "fieldvfs: database page %u failed authentication", pgno);
    }
    return rc;
}

/* Stores page 1's ciphertext (plain = 0, before decryption) or plaintext (plain = 1) in the header cache. */
static void fv_main_remember_page1(fv_file *f, const unsigned char *page, int pgsz, int plain) {
    if (f->p1_size != pgsz) {
        if (plain) return; /* the ciphertext was not stored */
        unsigned char *p = malloc(2 * (size_t)pgsz);
        if (f->p1_cache != NULL) {
            OPENSSL_cleanse(f->p1_cache, 2 * (size_t)f->p1_size);
            free(f->p1_cache);
        }
        f->p1_cache = p;
        f->p1_size = p != NULL ? pgsz : 0;
        if (p == NULL) return;
    }
    memcpy(f->p1_cache + (plain ? pgsz : 0), page, (size_t)pgsz);
    if (!plain) memset(f->p1_cache + pgsz, 0, (size_t)pgsz);
}

/*
 * Serves a read inside page 1 from the cache if page 1 on disk is byte-identical to the ciphertext decrypted
 * before (any rewrite changes the nonce, so the comparison cannot match stale plaintext). SQLITE_NOTFOUND
 * sends the caller down the normal path.
 */
static int fv_main_cached_header(fv_file *f, unsigned char *out, int amt, sqlite3_int64 off) {
    int pgsz = f->p1_size;
    int got = 0;
    int rc = fv_scratch(f, pgsz);
    if (rc != SQLITE_OK) return rc;
    rc = fv_real_read(f, f->scratch, pgsz, 0, &got);
    if (rc != SQLITE_OK) return rc;
    const unsigned char *plain = f->p1_cache + pgsz;
    if (got != pgsz || memcmp(f->scratch, f->p1_cache, (size_t)pgsz) != 0 || plain[0] == 0) return SQLITE_NOTFOUND;
    memcpy(out, plain + off, (size_t)amt);
    return SQLITE_OK;
}

int fv_main_read(fv_file *f, void *buf, int amt, sqlite3_int64 off) {
    unsigned char *out = buf;
    int got = 0;
    int rc;
    if (fv_is_pow2_page(amt) && off % amt == 0) {
        /* The common case: one whole page. Ciphertext lands in SQLite's buffer and is decrypted there. */
        rc = fv_real_read(f, out, amt, off, &got);
        if (rc != SQLITE_OK) return rc;
        if (got == 0) {
            memset(out, 0, (size_t)amt);
            return SQLITE_IOERR_SHORT_READ;
        }
        if (got < amt) {
            memset(out, 0, (size_t)amt);
            return SQLITE_IOERR_DATA; /* a torn or truncated page */
        }
        return fv_main_open_page(f, out, amt, (unsigned int)(off / amt) + 1);
    }

    /* A partial read (the 100-byte header, the change counter): decrypt the pages it touches. */
    if (f->p1_size > 0 && off + amt <= f->p1_size) {
        rc = fv_main_cached_header(f, out, amt, off);
        if (rc != SQLITE_NOTFOUND) return rc;
    }
    unsigned char hdr[8];
    rc = fv_real_read(f, hdr, 8, 16, &got);
    if (rc != SQLITE_OK) return rc;
    if (got < 8) {
        sqlite3_int64 size = 0;
        rc = f->real->pMethods->xFileSize(f->real, &size);
        if (rc != SQLITE_OK) return rc;
        memset(out, 0, (size_t)amt);
        return size == 0 ? SQLITE_IOERR_SHORT_READ : SQLITE_IOERR_DATA;
    }
    int pgsz = fv_header_page_size(hdr);
    if (!fv_is_pow2_page(pgsz)) {
        memset(out, 0, (size_t)amt);
        return SQLITE_IOERR_DATA;
    }
    rc = fv_scratch(f, pgsz);
    if (rc != SQLITE_OK) return rc;
    int short_read = 0;
    sqlite3_int64 pos = off;
    sqlite3_int64 end = off + amt;
    while (pos < end) {
        sqlite3_int64 pno = pos / pgsz;
        sqlite3_int64 pstart = pno * pgsz;
        int skip = (int)(pos - pstart);
        int take = (int)((end - pos) < (pgsz - skip) ? (end - pos) : (pgsz - skip));
        rc = fv_real_read(f, f->scratch, pgsz, pstart, &got);
        if (rc != SQLITE_OK) return rc;
        if (got == 0) {
            memset(out + (pos - off), 0, (size_t)take);
            short_read = 1;
        } else if (got < pgsz) {
            memset(out, 0, (size_t)amt);
            return SQLITE_IOERR_DATA;
        } else {
            if (pno == 0) fv_main_remember_page1(f, f->scratch, pgsz, 0);
            rc = fv_main_open_page(f, f->scratch, pgsz, (unsigned int)pno + 1);
            if (pno == 0 && rc == SQLITE_OK) fv_main_remember_page1(f, f->scratch, pgsz, 1);
            if (rc != SQLITE_OK) {
                memset(out, 0, (size_t)amt);
                return rc;
            }
            memcpy(out + (pos - off), f->scratch + skip, (size_t)take);
        }
        pos += take;
    }
    return short_read ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
}

int fv_main_write(fv_file *f, const void *buf, int amt, sqlite3_int64 off) {
    const unsigned char *in = buf;
    unsigned char aad[64];
    int n, rc;
    /* Fail closed: only whole, aligned pages whose reserved tail is unused may pass. */
    if (!fv_is_pow2_page(amt) || off % amt != 0) return SQLITE_IOERR_WRITE;
    if (!fv_all_zero(in + amt - FIELDVFS_RESERVE_BYTES, FIELDVFS_RESERVE_BYTES)) return SQLITE_IOERR_WRITE;
    rc = fv_scratch(f, amt);
    if (rc != SQLITE_OK) return rc;
    unsigned int pgno = (unsigned int)(off / amt) + 1;
    unsigned char *out = f->scratch;
    if (pgno == 1) {
        if (memcmp(in, k_sqlite_magic, 16) != 0) return SQLITE_IOERR_WRITE;
        if (in[20] < FIELDVFS_RESERVE_BYTES) return SQLITE_IOERR_WRITE; /* reserve bytes were not set */
        if (fv_header_page_size(in + 16) != amt) return SQLITE_IOERR_WRITE;
        memcpy(out, f->cipher.dbid, FV_DBID_LEN);
        memcpy(out + 16, in + 16, 8);
        n = fv_aad(aad, &f->cipher, FV_DOMAIN_MAIN, 1, in + 16, 8);
        rc = fv_seal(&f->cipher, in, out, amt, 24, aad, n);
    } else {
        n = fv_aad(aad, &f->cipher, FV_DOMAIN_MAIN, pgno, NULL, 0);
        rc = fv_seal(&f->cipher, in, out, amt, 0, aad, n);
    }
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xWrite(f->real, out, amt, off);
}
