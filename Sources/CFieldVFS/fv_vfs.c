/* The VFS shim: registration, xOpen, and the io-method table shared by the encrypted file kinds. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "fv_internal.h"

#define ORIGVFS(p) ((sqlite3_vfs *)((p)->pAppData))

static sqlite3_vfs g_vfs;
static pthread_mutex_t g_register_mutex = PTHREAD_MUTEX_INITIALIZER;
static int g_registered;

/* ---- io methods for the main database, rollback journal and WAL ---- */

static int fv_close(sqlite3_file *pf) {
    fv_file *f = (fv_file *)pf;
    int rc = SQLITE_OK;
    if (f->real->pMethods != NULL) rc = f->real->pMethods->xClose(f->real);
    fv_cipher_free(&f->cipher);
    if (f->scratch != NULL) {
        OPENSSL_cleanse(f->scratch, (size_t)f->scratch_len);
        free(f->scratch);
    }
    if (f->p1_cache != NULL) {
        OPENSSL_cleanse(f->p1_cache, 2 * (size_t)f->p1_size);
        free(f->p1_cache);
        f->p1_cache = NULL;
        f->p1_size = 0;
    }
    OPENSSL_cleanse(f->j_wnonce, sizeof(f->j_wnonce));
    OPENSSL_cleanse(f->j_rnonce, sizeof(f->j_rnonce));
    f->scratch = NULL;
    f->scratch_len = 0;
    return rc;
}

static int fv_read(sqlite3_file *pf, void *buf, int amt, sqlite3_int64 off) {
    fv_file *f = (fv_file *)pf;
    switch (f->kind) {
    case FV_KIND_MAIN: return fv_main_read(f, buf, amt, off);
    case FV_KIND_JOURNAL: return fv_journal_read(f, buf, amt, off);
    case FV_KIND_WAL: return fv_wal_read(f, buf, amt, off);
    default: return SQLITE_IOERR_READ;
    }
}

static int fv_write(sqlite3_file *pf, const void *buf, int amt, sqlite3_int64 off) {
    fv_file *f = (fv_file *)pf;
    switch (f->kind) {
    case FV_KIND_MAIN: return fv_main_write(f, buf, amt, off);
    case FV_KIND_JOURNAL: return fv_journal_write(f, buf, amt, off);
    case FV_KIND_WAL: return fv_wal_write(f, buf, amt, off);
    default: return SQLITE_IOERR_WRITE;
    }
}

static int fv_truncate(sqlite3_file *pf, sqlite3_int64 size) {
    fv_file *f = (fv_file *)pf;
    f->j_wvalid = f->j_rvalid = f->w_hdr_valid = 0;
    return f->real->pMethods->xTruncate(f->real, size);
}

static int fv_sync(sqlite3_file *pf, int flags) {
    fv_file *f = (fv_file *)pf;
    return f->real->pMethods->xSync(f->real, flags);
}

static int fv_file_size(sqlite3_file *pf, sqlite3_int64 *size) {
    fv_file *f = (fv_file *)pf;
    return f->real->pMethods->xFileSize(f->real, size);
}

static int fv_lock(sqlite3_file *pf, int lock) {
    fv_file *f = (fv_file *)pf;
    return f->real->pMethods->xLock(f->real, lock);
}

static int fv_unlock(sqlite3_file *pf, int lock) {
    fv_file *f = (fv_file *)pf;
    return f->real->pMethods->xUnlock(f->real, lock);
}

static int fv_check_reserved(sqlite3_file *pf, int *out) {
    fv_file *f = (fv_file *)pf;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int fv_file_control(sqlite3_file *pf, int op, void *arg) {
    fv_file *f = (fv_file *)pf;
    if (op == SQLITE_FCNTL_MMAP_SIZE) {
        /* Memory mapping would bypass decryption: report and keep a limit of zero. */
        if (arg != NULL) *(sqlite3_int64 *)arg = 0;
        return SQLITE_OK;
    }
    int rc = f->real->pMethods->xFileControl(f->real, op, arg);
    if (rc == SQLITE_OK && op == SQLITE_FCNTL_VFSNAME && arg != NULL) {
        char *prev = *(char **)arg;
        *(char **)arg = sqlite3_mprintf("%s/%z", FIELDVFS_NAME, prev);
    }
    return rc;
}

static int fv_sector_size(sqlite3_file *pf) {
    fv_file *f = (fv_file *)pf;
    return f->real->pMethods->xSectorSize(f->real);
}

static int fv_device_characteristics(sqlite3_file *pf) {
    fv_file *f = (fv_file *)pf;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int fv_shm_map(sqlite3_file *pf, int pg, int pgsz, int extend, void volatile **pp) {
    fv_file *f = (fv_file *)pf;
    return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, pp);
}

static int fv_shm_lock(sqlite3_file *pf, int offset, int n, int flags) {
    fv_file *f = (fv_file *)pf;
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void fv_shm_barrier(sqlite3_file *pf) {
    fv_file *f = (fv_file *)pf;
    f->real->pMethods->xShmBarrier(f->real);
}

static int fv_shm_unmap(sqlite3_file *pf, int del) {
    fv_file *f = (fv_file *)pf;
    return f->real->pMethods->xShmUnmap(f->real, del);
}

/* iVersion 2: shared memory for WAL, but no xFetch, so SQLite never memory-maps a file of ours. */
static const sqlite3_io_methods fv_io_methods = {
    2,
    fv_close,
    fv_read,
    fv_write,
    fv_truncate,
    fv_sync,
    fv_file_size,
    fv_lock,
    fv_unlock,
    fv_check_reserved,
    fv_file_control,
    fv_sector_size,
    fv_device_characteristics,
    fv_shm_map,
    fv_shm_lock,
    fv_shm_barrier,
    fv_shm_unmap,
    NULL,
    NULL,
};

int fv_real_read(fv_file *f, void *buf, int amt, sqlite3_int64 off, int *got) {
    int rc = f->real->pMethods->xRead(f->real, buf, amt, off);
    if (rc == SQLITE_OK) {
        *got = amt;
        return SQLITE_OK;
    }
    if (rc != SQLITE_IOERR_SHORT_READ) return rc;
    sqlite3_int64 size = 0;
    int rc2 = f->real->pMethods->xFileSize(f->real, &size);
    if (rc2 != SQLITE_OK) return rc2;
    sqlite3_int64 n = size - off;
    *got = n <= 0 ? 0 : (n >= amt ? amt : (int)n);
    return SQLITE_OK;
}

/* ---- the VFS ---- */

static int fv_xopen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *pf, int flags, int *out_flags) {
    fv_file *f = (fv_file *)pf;
    sqlite3_vfs *orig = ORIGVFS(vfs);
    int kind;
    memset(f, 0, sizeof(*f));
    f->real = (sqlite3_file *)&f[1];
    if (flags & SQLITE_OPEN_MAIN_DB) kind = FV_KIND_MAIN;
    else if (flags & SQLITE_OPEN_MAIN_JOURNAL) kind = FV_KIND_JOURNAL;
    else if (flags & SQLITE_OPEN_WAL) kind = FV_KIND_WAL;
    else if (flags & (SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL | SQLITE_OPEN_TRANSIENT_DB
                      | SQLITE_OPEN_SUBJOURNAL)) kind = FV_KIND_MEM;
    else return SQLITE_CANTOPEN; /* super-journals and anything unknown: fail closed */

    if (kind == FV_KIND_MEM) {
        /* Temporary files never reach the disk: they live in this process's memory and are wiped on close. */
        f->kind = kind;
        pf->pMethods = &fv_mem_methods;
        if (out_flags != NULL) *out_flags = flags;
        return SQLITE_OK;
    }

    fv_keys keys;
    const char *slot = name != NULL ? sqlite3_uri_parameter(name, FIELDVFS_KEY_PARAM) : NULL;
    if (slot == NULL || fv_slot_copy(slot, &keys) != FIELDVFS_OK) return SQLITE_CANTOPEN;
    int rc = fv_cipher_init(&f->cipher, &keys);
    OPENSSL_cleanse(&keys, sizeof(keys));
    if (rc != SQLITE_OK) return SQLITE_CANTOPEN;

    rc = orig->xOpen(orig, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        fv_cipher_free(&f->cipher);
        return rc;
    }
    f->kind = kind;
    pf->pMethods = &fv_io_methods;
    return SQLITE_OK;
}

static int fv_xdelete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
    return ORIGVFS(vfs)->xDelete(ORIGVFS(vfs), name, sync_dir);
}

static int fv_xaccess(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
    return ORIGVFS(vfs)->xAccess(ORIGVFS(vfs), name, flags, out);
}

static int fv_xfullpathname(sqlite3_vfs *vfs, const char *name, int n, char *out) {
    return ORIGVFS(vfs)->xFullPathname(ORIGVFS(vfs), name, n, out);
}

static void *fv_xdlopen(sqlite3_vfs *vfs, const char *path) {
    return ORIGVFS(vfs)->xDlOpen(ORIGVFS(vfs), path);
}

static void fv_xdlerror(sqlite3_vfs *vfs, int n, char *msg) {
    ORIGVFS(vfs)->xDlError(ORIGVFS(vfs), n, msg);
}

static void (*fv_xdlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void) {
    return ORIGVFS(vfs)->xDlSym(ORIGVFS(vfs), h, sym);
}

static void fv_xdlclose(sqlite3_vfs *vfs, void *h) {
    ORIGVFS(vfs)->xDlClose(ORIGVFS(vfs), h);
}

static int fv_xrandomness(sqlite3_vfs *vfs, int n, char *out) {
    return ORIGVFS(vfs)->xRandomness(ORIGVFS(vfs), n, out);
}

static int fv_xsleep(sqlite3_vfs *vfs, int us) {
    return ORIGVFS(vfs)->xSleep(ORIGVFS(vfs), us);
}

static int fv_xcurrenttime(sqlite3_vfs *vfs, double *out) {
    return ORIGVFS(vfs)->xCurrentTime(ORIGVFS(vfs), out);
}

static int fv_xgetlasterror(sqlite3_vfs *vfs, int n, char *out) {
    return ORIGVFS(vfs)->xGetLastError(ORIGVFS(vfs), n, out);
}

static int fv_xcurrenttimeint64(sqlite3_vfs *vfs, sqlite3_int64 *out) {
    return ORIGVFS(vfs)->xCurrentTimeInt64(ORIGVFS(vfs), out);
}

int fieldvfs_register(void) {
    int rc = SQLITE_OK;
    pthread_mutex_lock(&g_register_mutex);
    if (!g_registered) {
        sqlite3_vfs *orig = sqlite3_vfs_find("unix");
        if (orig == NULL) orig = sqlite3_vfs_find(NULL);
        if (orig == NULL) {
            rc = SQLITE_ERROR;
        } else {
            memset(&g_vfs, 0, sizeof(g_vfs));
            g_vfs.iVersion = 2;
            g_vfs.szOsFile = (int)sizeof(fv_file) + orig->szOsFile;
            g_vfs.mxPathname = orig->mxPathname;
            g_vfs.zName = FIELDVFS_NAME;
            g_vfs.pAppData = orig;
            g_vfs.xOpen = fv_xopen;
            g_vfs.xDelete = fv_xdelete;
            g_vfs.xAccess = fv_xaccess;
            g_vfs.xFullPathname = fv_xfullpathname;
            g_vfs.xDlOpen = fv_xdlopen;
            g_vfs.xDlError = fv_xdlerror;
            g_vfs.xDlSym = fv_xdlsym;
            g_vfs.xDlClose = fv_xdlclose;
            g_vfs.xRandomness = fv_xrandomness;
            g_vfs.xSleep = fv_xsleep;
            g_vfs.xCurrentTime = fv_xcurrenttime;
            g_vfs.xGetLastError = fv_xgetlasterror;
            g_vfs.xCurrentTimeInt64 = fv_xcurrenttimeint64;
            rc = sqlite3_vfs_register(&g_vfs, 0);
            if (rc == SQLITE_OK) g_registered = 1;
        }
    }
    pthread_mutex_unlock(&g_register_mutex);
    return rc;
}

int fieldvfs_prepare_connection(sqlite3 *db) {
    sqlite3_vfs *vfs = NULL;
    if (db == NULL) return SQLITE_MISUSE;
    int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &vfs);
    if (rc != SQLITE_OK) return rc;
    if (vfs != &g_vfs) return SQLITE_MISUSE;
    int reserve = FIELDVFS_RESERVE_BYTES;
    rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
    if (rc != SQLITE_OK) return rc;
    return sqlite3_exec(db, "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=0;", NULL, NULL, NULL);
}

const char *fieldvfs_errstr(int code) {
    switch (code) {
    case FIELDVFS_OK: return "ok";
    case FIELDVFS_WRONG_PASSPHRASE: return "wrong passphrase";
    case FIELDVFS_DAMAGED: return "key file damaged or tampered with";
    case FIELDVFS_NOT_FOUND: return "not found";
    case FIELDVFS_EXISTS: return "key file already exists";
    case FIELDVFS_IO: return "I/O error on the key file";
    case FIELDVFS_CRYPTO: return "cryptographic library failure";
    case FIELDVFS_MISUSE: return "invalid arguments";
    default: return "unknown fieldvfs error";
    }
}
