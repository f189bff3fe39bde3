/*
 * Write-ahead log. The 32-byte WAL header (magic, version, page size, checkpoint sequence, salts and its own
 * checksum: no user content) stays readable. Each frame is a 24-byte header (page number, commit size,
 * salts, a running checksum over the plaintext) and a page. The page is sealed (domain 'W'; page number
 * and frame index bound in); the checksum fields are masked with a pad derived from the salts and the
 * frame index. SQLite writes a frame as two calls (header, then page) but reads whole frames in recovery.
 */
#include <string.h>

#include "fv_internal.h"

static int fv_wal_page_size(fv_file *f) {
    if (f->wal_pgsz != 0) return f->wal_pgsz;
    unsigned char hdr[FV_WAL_HDR];
    int got = 0;
    if (fv_real_read(f, hdr, FV_WAL_HDR, 0, &got) != SQLITE_OK || got < FV_WAL_HDR) return 0;
    int pgsz = (int)fv_get32(hdr + 8);
    if (!fv_is_pow2_page(pgsz)) return 0;
    f->wal_pgsz = pgsz;
    return pgsz;
}

/* XORs the frame header's checksum fields (bytes 16-23) with a pad unique to this WAL generation and frame. */
static int fv_wal_mask_header(fv_file *f, unsigned char *hdr, unsigned int idx) {
    unsigned char block[16];
    unsigned char pad[16];
    memcpy(block, "W\0\0\0", 4);
    memcpy(block + 4, hdr + 8, 8);
    fv_put32(block + 12, idx);
    int rc = fv_mask(&f->cipher, block, pad);
    if (rc != SQLITE_OK) return rc;
    for (int i = 0; i < 8; i++) hdr[16 + i] ^= pad[i];
    return SQLITE_OK;
}

/*
 * The frame's salts are not bound in: SQLite writes zero salts in frames that follow a page it rewrote in the
 * same transaction and fills them in at commit. Stale frames of an older WAL generation are rejected by SQLite
 * through the salts and the (masked, so unforgeable) checksum chain.
 */
static int fv_wal_aad(fv_file *f, unsigned char *aad, const unsigned char *hdr, unsigned int idx) {
    unsigned char extra[4];
    fv_put32(extra, idx);
    return fv_aad(aad, &f->cipher, FV_DOMAIN_WAL, fv_get32(hdr), extra, 4);
}

int fv_wal_write(fv_file *f, const void *buf, int amt, sqlite3_int64 off) {
    const unsigned char *in = buf;
    unsigned char aad[64];
    int rc;
    if (off == 0 && amt == FV_WAL_HDR) {
        int pgsz = (int)fv_get32(in + 8);
        if (!fv_is_pow2_page(pgsz)) return SQLITE_IOERR_WRITE;
        f->wal_pgsz = pgsz;
        f->w_hdr_valid = 0;
        return f->real->pMethods->xWrite(f->real, buf, amt, off);
    }
    int pgsz = fv_wal_page_size(f);
    if (pgsz == 0 || off < FV_WAL_HDR) return SQLITE_IOERR_WRITE;
    sqlite3_int64 fsz = pgsz + FV_WAL_FRAME_HDR;
    sqlite3_int64 rel = off - FV_WAL_HDR;
    unsigned int idx = (unsigned int)(rel / fsz);
    int r = (int)(rel % fsz);
    if (r == 0 && amt == FV_WAL_FRAME_HDR) {
        unsigned char hdr[FV_WAL_FRAME_HDR];
        memcpy(f->w_hdr, in, FV_WAL_FRAME_HDR);
        f->w_hdr_off = off;
        f->w_hdr_valid = 1;
        memcpy(hdr, in, FV_WAL_FRAME_HDR);
        rc = fv_wal_mask_header(f, hdr, idx);
        if (rc != SQLITE_OK) return SQLITE_IOERR_WRITE;
        return f->real->pMethods->xWrite(f->real, hdr, FV_WAL_FRAME_HDR, off);
    }
    if (r == FV_WAL_FRAME_HDR && amt == pgsz) {
        unsigned char hdr[FV_WAL_FRAME_HDR];
        if (f->w_hdr_valid && f->w_hdr_off == off - FV_WAL_FRAME_HDR) {
            memcpy(hdr, f->w_hdr, FV_WAL_FRAME_HDR);
        } else {
            /* SQLite rewrote a page of this transaction in place: its header is already on disk. */
            int got = 0;
            rc = fv_real_read(f, hdr, FV_WAL_FRAME_HDR, off - FV_WAL_FRAME_HDR, &got);
            if (rc != SQLITE_OK || got != FV_WAL_FRAME_HDR) return SQLITE_IOERR_WRITE;
        }
        if (!fv_all_zero(in + amt - FIELDVFS_RESERVE_BYTES, FIELDVFS_RESERVE_BYTES)) return SQLITE_IOERR_WRITE;
        if (fv_get32(hdr) == 1 && in[20] < FIELDVFS_RESERVE_BYTES) return SQLITE_IOERR_WRITE;
        rc = fv_scratch(f, amt);
        if (rc != SQLITE_OK) return rc;
        int n = fv_wal_aad(f, aad, hdr, idx);
        rc = fv_seal(&f->cipher, in, f->scratch, amt, 0, aad, n);
        if (rc != SQLITE_OK) return rc;
        return f->real->pMethods->xWrite(f->real, f->scratch, amt, off);
    }
    return SQLITE_IOERR_WRITE;
}

/* Reads whole frame idx into the scratch buffer, unmasks its header and decrypts its page in place. */
static int fv_wal_load_frame(fv_file *f, int pgsz, unsigned int idx, int *present) {
    unsigned char aad[64];
    int fsz = pgsz + FV_WAL_FRAME_HDR;
    int got = 0;
    sqlite3_int64 foff = FV_WAL_HDR + (sqlite3_int64)idx * fsz;
    int rc = fv_real_read(f, f->scratch, fsz, foff, &got);
    if (rc != SQLITE_OK) return rc;
    *present = got;
    if (got == 0) {
        memset(f->scratch, 0, (size_t)fsz);
        return SQLITE_OK;
    }
    if (got < fsz) {
        memset(f->scratch, 0, (size_t)fsz);
        return SQLITE_IOERR_DATA;
    }
    rc = fv_wal_mask_header(f, f->scratch, idx);
    if (rc != SQLITE_OK) return SQLITE_IOERR_READ;
    int n = fv_wal_aad(f, aad, f->scratch, idx);
    unsigned char *page = f->scratch + FV_WAL_FRAME_HDR;
    return fv_open(&f->cipher, page, page, pgsz, 0, aad, n);
}

int fv_wal_read(fv_file *f, void *buf, int amt, sqlite3_int64 off) {
    unsigned char *out = buf;
    unsigned char aad[64];
    int got = 0;
    int rc;
    if (off + amt <= FV_WAL_HDR) return f->real->pMethods->xRead(f->real, buf, amt, off);
    int pgsz = fv_wal_page_size(f);
    if (pgsz == 0) {
        rc = fv_real_read(f, out, amt, off, &got);
        if (rc != SQLITE_OK) return rc;
        memset(out, 0, (size_t)amt);
        return got == 0 ? SQLITE_IOERR_SHORT_READ : SQLITE_IOERR_DATA;
    }
    int fsz = pgsz + FV_WAL_FRAME_HDR;
    rc = fv_scratch(f, fsz);
    if (rc != SQLITE_OK) return rc;

    sqlite3_int64 rel = off - FV_WAL_HDR;
    if (off >= FV_WAL_HDR && amt == pgsz && rel % fsz == FV_WAL_FRAME_HDR) {
        /* The common case: a reader fetching one page. One pread for header + page. */
        sqlite3_int64 foff = off - FV_WAL_FRAME_HDR;
        unsigned int idx = (unsigned int)(rel / fsz);
        rc = fv_real_read(f, f->scratch, fsz, foff, &got);
        if (rc != SQLITE_OK) return rc;
        if (got < fsz) {
            memset(out, 0, (size_t)amt);
            return got == 0 ? SQLITE_IOERR_SHORT_READ : SQLITE_IOERR_DATA;
        }
        int n = fv_wal_aad(f, aad, f->scratch, idx);
        rc = fv_open(&f->cipher, f->scratch + FV_WAL_FRAME_HDR, out, pgsz, 0, aad, n);
        if (rc != SQLITE_OK) {
            memset(out, 0, (size_t)amt);
            sqlite3_log(rc, "fieldvfs: WAL frame %u failed authentication", idx + 1);
        }
        return rc;
    }

    /* Anything else (recovery reads whole frames): walk the header and the frames the range touches. */
    int short_read = 0;
    sqlite3_int64 pos = off;
    sqlite3_int64 end = off + amt;
    if (pos < FV_WAL_HDR) {
        rc = fv_real_read(f, out, FV_WAL_HDR - (int)pos, pos, &got);
        if (rc != SQLITE_OK) return rc;
        if (got < FV_WAL_HDR - (int)pos) short_read = 1;
        pos = FV_WAL_HDR;
    }
    while (pos < end) {
        unsigned int idx = (unsigned int)((pos - FV_WAL_HDR) / fsz);
        sqlite3_int64 foff = FV_WAL_HDR + (sqlite3_int64)idx * fsz;
        int skip = (int)(pos - foff);
        int take = (int)((end - pos) < (fsz - skip) ? (end - pos) : (fsz - skip));
        int present = 0;
        rc = fv_wal_load_frame(f, pgsz, idx, &present);
        if (rc == SQLITE_IOERR_DATA && present == fsz && pos <= foff) {
            /*
             * A whole-frame read, as recovery does: a frame that fails authentication is either torn by a
             * power loss or tampered with. Hand SQLite a frame whose salts cannot match, so it treats the log
             * as ending before it, as it does for a frame whose checksum fails.
             */
            for (int i = 8; i < 12; i++) f->scratch[i] ^= 0xff;
            sqlite3_log(SQLITE_WARNING, "fieldvfs: WAL frame %u failed authentication; the log ends before it",
                        idx + 1);
            rc = SQLITE_OK;
        }
        if (rc != SQLITE_OK) {
            memset(out, 0, (size_t)amt);
            return rc;
        }
        if (present == 0) short_read = 1;
        memcpy(out + (pos - off), f->scratch + skip, (size_t)take);
        pos += take;
    }
    return short_read ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
}
