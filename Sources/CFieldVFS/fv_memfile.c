/*
 * Temporary files (sorter spill files, temp databases, statement journals) kept in process memory, so their
 * plaintext never reaches the disk; wiped when closed.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "fv_internal.h"

static int fv_mem_close(sqlite3_file *pf) {
    fv_file *f = (fv_file *)pf;
    if (f->mem != NULL) {
        OPENSSL_cleanse(f->mem, (size_t)f->mem_cap);
        free(f->mem);
    }
    f->mem = NULL;
    f->mem_len = f->mem_cap = 0;
    return SQLITE_OK;
}

static int fv_mem_read(sqlite3_file *pf, void *buf, int amt, sqlite3_int64 off) {
    fv_file *f = (fv_file *)pf;
    sqlite3_int64 avail = f->mem_len - off;
    if (avail >= amt) {
        memcpy(buf, f->mem + off, (size_t)amt);
        return SQLITE_OK;
    }
    memset(buf, 0, (size_t)amt);
    if (avail > 0) memcpy(buf, f->mem + off, (size_t)avail);
    return SQLITE_IOERR_SHORT_READ;
}

static int fv_mem_reserve(fv_file *f, sqlite3_int64 need) {
    if (need <= f->mem_cap) return SQLITE_OK;
    sqlite3_int64 cap = f->mem_cap ? f->mem_cap : 65536;
    while (cap < need) cap *= 2;
    unsigned char *p = malloc((size_t)cap);
    if (p == NULL) return SQLITE_NOMEM;
    if (f->mem != NULL) {
        memcpy(p, f->mem, (size_t)f->mem_len);
        OPENSSL_cleanse(f->mem, (size_t)f->mem_cap);
        free(f->mem);
    }
    memset(p + f->mem_len, 0, (size_t)(cap - f->mem_len));
    f->mem = p;
    f->mem_cap = cap;
    return SQLITE_OK;
}

static int fv_mem_write(sqlite3_file *pf, const void *buf, int amt, sqlite3_int64 off) {
    fv_file *f = (fv_file *)pf;
    int rc = fv_mem_reserve(f, off + amt);
    if (rc != SQLITE_OK) return SQLITE_IOERR_WRITE;
    if (off > f->mem_len) memset(f->mem + f->mem_len, 0, (size_t)(off - f->mem_len));
    memcpy(f->mem + off, buf, (size_t)amt);
    if (off + amt > f->mem_len) f->mem_len = off + amt;
    return SQLITE_OK;
}

static int fv_mem_truncate(sqlite3_file *pf, sqlite3_int64 size) {
    fv_file *f = (fv_file *)pf;
    if (size < f->mem_len) {
        memset(f->mem + size, 0, (size_t)(f->mem_len - size));
        f->mem_len = size;
    }
    return SQLITE_OK;
}

static int fv_mem_sync(sqlite3_file *pf, int flags) {
    (void)pf;
    (void)flags;
    return SQLITE_OK;
}

static int fv_mem_size(sqlite3_file *pf, sqlite3_int64 *size) {
    *size = ((fv_file *)pf)->mem_len;
    return SQLITE_OK;
}

static int fv_mem_lock(sqlite3_file *pf, int lock) {
    (void)pf;
    (void)lock;
    return SQLITE_OK;
}

static int fv_mem_check_reserved(sqlite3_file *pf, int *out) {
    (void)pf;
    *out = 0;
    return SQLITE_OK;
}

static int fv_mem_file_control(sqlite3_file *pf, int op, void *arg) {
    (void)pf;
    (void)arg;
    if (op == SQLITE_FCNTL_MMAP_SIZE && arg != NULL) {
        *(sqlite3_int64 *)arg = 0;
        return SQLITE_OK;
    }
    return SQLITE_NOTFOUND;
}

static int fv_mem_sector_size(sqlite3_file *pf) {
    (void)pf;
    return 512;
}

static int fv_mem_device_characteristics(sqlite3_file *pf) {
    (void)pf;
    return SQLITE_IOCAP_POWERSAFE_OVERWRITE | SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL;
}

const sqlite3_io_methods fv_mem_methods = {
    1,
    fv_mem_close,
    fv_mem_read,
    fv_mem_write,
    fv_mem_truncate,
    fv_mem_sync,
    fv_mem_size,
    fv_mem_lock,
    fv_mem_lock,
    fv_mem_check_reserved,
    fv_mem_file_control,
    fv_mem_sector_size,
    fv_mem_device_characteristics,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
};
