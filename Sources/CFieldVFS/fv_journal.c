/*
 * Rollback journal. SQLite writes a header (magic, record count, random checksum seed, sizes: no user
 * content) in sector-aligned chunks, then records of: 4-byte page number at an offset = 0 (mod 8), the page
 * at offset = 4 (mod 8), and a 4-byte checksum over the page. The page is sealed like a database page
 * (domain 'J', page number and journal offset bound in); the checksum, being derived from the plaintext, is
 * masked with a pad derived from that page's fresh nonce. Any other large write fails closed.
 */
#include <string.h>

#include "fv_internal.h"

static int fv_journal_pgno(fv_file *f, sqlite3_int64 page_off, unsigned int *pgno) {
    unsigned char b[4];
    int got = 0;
    if (page_off < 4) return SQLITE_IOERR_DATA;
    int rc = fv_real_read(f, b, 4, page_off - 4, &got);
    if (rc != SQLITE_OK) return rc;
    if (got != 4) return SQLITE_IOERR_DATA;
    *pgno = fv_get32(b);
    return SQLITE_OK;
}

static int fv_journal_aad(fv_file *f, unsigned char *aad, unsigned int pgno, sqlite3_int64 off) {
    unsigned char extra[8];
    fv_put32(extra, (unsigned int)((sqlite3_uint64)off >> 32));
    fv_put32(extra + 4, (unsigned int)off);
    return fv_aad(aad, &f->cipher, FV_DOMAIN_JOURNAL, pgno, extra, 8);
}

static int fv_journal_pad(fv_file *f, const unsigned char nonce[FV_NONCE_LEN], unsigned char pad[16]) {
    unsigned char block[16];
    memcpy(block, nonce, FV_NONCE_LEN);
    memcpy(block + FV_NONCE_LEN, "JCK", 4);
    return fv_mask(&f->cipher, block, pad);
}

int fv_journal_write(fv_file *f, const void *buf, int amt, sqlite3_int64 off) {
    const unsigned char *in = buf;
    unsigned char aad[64];
    int rc;
    if (off == 0) f->j_wvalid = 0; /* a new header: the journal starts over */
    if (amt >= FV_MIN_PAGE && off % 8 == 4) {
        unsigned int pgno = 0;
        if (!fv_is_pow2_page(amt)) return SQLITE_IOERR_WRITE;
        if (!fv_all_zero(in + amt - FIELDVFS_RESERVE_BYTES, FIELDVFS_RESERVE_BYTES)) return SQLITE_IOERR_WRITE;
        rc = fv_journal_pgno(f, off, &pgno);
        if (rc != SQLITE_OK) return SQLITE_IOERR_WRITE;
        if (pgno == 1 && in[20] < FIELDVFS_RESERVE_BYTES) return SQLITE_IOERR_WRITE;
        rc = fv_scratch(f, amt);
        if (rc != SQLITE_OK) return rc;
        int n = fv_journal_aad(f, aad, pgno, off);
        rc = fv_seal(&f->cipher, in, f->scratch, amt, 0, aad, n);
        if (rc != SQLITE_OK) return rc;
        rc = f->real->pMethods->xWrite(f->real, f->scratch, amt, off);
        if (rc != SQLITE_OK) return rc;
        f->j_wend = off + amt;
        memcpy(f->j_wnonce, f->scratch + amt - FIELDVFS_RESERVE_BYTES, FV_NONCE_LEN);
        f->j_wvalid = 1;
        return SQLITE_OK;
    }
    if (amt == 4 && f->j_wvalid && off == f->j_wend) {
        unsigned char pad[16];
        unsigned char masked[4];
        f->j_wvalid = 0;
        rc = fv_journal_pad(f, f->j_wnonce, pad);
        if (rc != SQLITE_OK) return SQLITE_IOERR_WRITE;
        for (int i = 0; i < 4; i++) masked[i] = in[i] ^ pad[i];
        return f->real->pMethods->xWrite(f->real, masked, 4, off);
    }
    /* Page numbers, record counts, the magic and the header: metadata only. */
    if (amt <= 28) return f->real->pMethods->xWrite(f->real, buf, amt, off);
    /* Header chunks: the header fields, then zero padding to the sector size. */
    if (off % FV_MIN_PAGE == 0 && fv_all_zero(in + 28, amt - 28)) {
        return f->real->pMethods->xWrite(f->real, buf, amt, off);
    }
    return SQLITE_IOERR_WRITE;
}

int fv_journal_read(fv_file *f, void *buf, int amt, sqlite3_int64 off) {
    unsigned char *out = buf;
    unsigned char aad[64];
    int got = 0;
    int rc;
    if (amt >= FV_MIN_PAGE && off % 8 == 4 && fv_is_pow2_page(amt)) {
        unsigned int pgno = 0;
        rc = fv_real_read(f, out, amt, off, &got);
        if (rc != SQLITE_OK) return rc;
        if (got == 0) {
            memset(out, 0, (size_t)amt);
            return SQLITE_IOERR_SHORT_READ;
        }
        if (got < amt || fv_journal_pgno(f, off, &pgno) != SQLITE_OK) {
            memset(out, 0, (size_t)amt);
            return SQLITE_IOERR_DATA;
        }
        memcpy(f->j_rnonce, out + amt - FIELDVFS_RESERVE_BYTES, FV_NONCE_LEN);
        int n = fv_journal_aad(f, aad, pgno, off);
        rc = fv_open(&f->cipher, out, out, amt, 0, aad, n);
        if (rc != SQLITE_OK) {
            memset(out, 0, (size_t)amt);
            f->j_rvalid = 0;
            sqlite3_log(rc, "fieldvfs: journal record for page %u failed authentication", pgno);
            return rc;
        }
        f->j_rend = off + amt;
        f->j_rvalid = 1;
        return SQLITE_OK;
    }
    if (amt == 4 && f->j_rvalid && off == f->j_rend) {
        unsigned char pad[16];
        f->j_rvalid = 0;
        rc = f->real->pMethods->xRead(f->real, out, 4, off);
        if (rc != SQLITE_OK) return rc;
        rc = fv_journal_pad(f, f->j_rnonce, pad);
        if (rc != SQLITE_OK) return SQLITE_IOERR_READ;
        for (int i = 0; i < 4; i++) out[i] ^= pad[i];
        return SQLITE_OK;
    }
    return f->real->pMethods->xRead(f->real, buf, amt, off);
}
