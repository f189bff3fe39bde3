/*
 * fieldvfs: a page-encrypting SQLite VFS (AES-256-GCM per page) and its passphrase-protected key file.
 *
 * Usage:
 *   fieldvfs_register();
 *   fieldvfs_keyfile_create(keyPath, pass, passLen, NULL);          // once, when the store is created
 *   char slot[FIELDVFS_SLOT_LEN];
 *   fieldvfs_keyfile_unlock(keyPath, pass, passLen, slot);          // every time the store is opened
 *   sqlite3_open_v2("file:/dir/store.db?vfs=fieldvfs&fieldkey=<slot>", &db,
 *                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL);
 *   fieldvfs_prepare_connection(db);                                // before ANY other statement
 *   ...
 *   sqlite3_close(db);
 *   fieldvfs_slot_release(slot);                                    // wipes the key
 *
 * See Sources/CFieldVFS/README.md for the on-disk format and the threat model.
 */
#ifndef FIELDVFS_H
#define FIELDVFS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Forward declaration so this header does not pull sqlite3.h into a second module. */
typedef struct sqlite3 sqlite3;

/** VFS name used in URIs: file:/path/store.db?vfs=fieldvfs&fieldkey=SLOT */
#define FIELDVFS_NAME "fieldvfs"
/** URI parameter that names the key slot. */
#define FIELDVFS_KEY_PARAM "fieldkey"
/** Length of a slot id string including its terminating NUL (32 hex digits). */
#define FIELDVFS_SLOT_LEN 33
/** Bytes reserved at the end of every page for the nonce (12) and the GCM tag (16). */
#define FIELDVFS_RESERVE_BYTES 28

/** Result codes of the key-file and slot functions. */
enum {
    FIELDVFS_OK = 0,
    FIELDVFS_WRONG_PASSPHRASE = 1,
    FIELDVFS_DAMAGED = 2,
    FIELDVFS_NOT_FOUND = 3,
    FIELDVFS_EXISTS = 4,
    FIELDVFS_IO = 5,
    FIELDVFS_CRYPTO = 6,
    FIELDVFS_MISUSE = 7
};

/** scrypt parameters: N = 2^log2_n. */
typedef struct {
    uint64_t log2_n;
    uint32_t r;
    uint32_t p;
} fieldvfs_kdf_params;

/**
 * Registers the VFS named FIELDVFS_NAME over the "unix" VFS (never as the default VFS).
 * Idempotent and thread-safe. Returns SQLITE_OK, or an SQLite error code.
 */
int fieldvfs_register(void);

/**
 * Creates a key file: a new random 256-bit data key and a random 16-byte database id, wrapped with a KEK
 * derived from the passphrase by scrypt. params NULL = defaults (log2_n 16, r 8, p 1).
 * Fails with FIELDVFS_EXISTS if the file exists. Written atomically with mode 0600.
 */
int fieldvfs_keyfile_create(const char *keyfile_path, const char *pass, size_t passlen,
                            const fieldvfs_kdf_params *params);

/**
 * Unwraps the data key and installs it (with the database id) in an in-process key slot whose random id is
 * written to out_slot. FIELDVFS_WRONG_PASSPHRASE if the passphrase does not unwrap an intact key file,
 * FIELDVFS_DAMAGED if the file is malformed or fails its integrity check, FIELDVFS_NOT_FOUND if it is
 * missing. Never modifies the file.
 */
int fieldvfs_keyfile_unlock(const char *keyfile_path, const char *pass, size_t passlen,
                            char out_slot[FIELDVFS_SLOT_LEN]);

/**
 * Rewraps the same data key under a new salt and passphrase (params NULL = defaults). Atomic: after a crash
 * at any point either the old or the new passphrase unlocks the file.
 */
int fieldvfs_keyfile_change_passphrase(const char *keyfile_path, const char *old_pass, size_t old_len,
                                       const char *new_pass, size_t new_len,
                                       const fieldvfs_kdf_params *params);

/**
 * Wipes the slot's key and frees the slot. Close connections that use it first (an open file keeps its own
 * copy of the key until it is closed). FIELDVFS_NOT_FOUND if no such slot.
 */
int fieldvfs_slot_release(const char *slot);

/**
 * Call right after sqlite3_open_v2 and before any other statement on a connection that uses the VFS:
 * reserves FIELDVFS_RESERVE_BYTES per page, sets temp_store=MEMORY and mmap_size=0.
 * Returns SQLITE_OK, SQLITE_MISUSE if the connection's main database does not use this VFS, or an error.
 */
int fieldvfs_prepare_connection(sqlite3 *db);

/**
 * Reads the database id from an intact key file (it is not secret: it binds pages to their database) without
 * unwrapping anything. FIELDVFS_DAMAGED if the file is malformed, FIELDVFS_NOT_FOUND if it is missing.
 */
int fieldvfs_keyfile_database_id(const char *keyfile_path, unsigned char out_dbid[16]);

/**
 * Copies a slot's data key and database id out, to hand them to a key agent of the same user. The caller wipes
 * out_key after use. FIELDVFS_NOT_FOUND if no such slot.
 */
int fieldvfs_slot_export(const char *slot, unsigned char out_key[32], unsigned char out_dbid[16]);

/** Installs a data key and database id received from a key agent in a new slot, as unlocking would. */
int fieldvfs_slot_import(const unsigned char key[32], const unsigned char dbid[16], char out_slot[FIELDVFS_SLOT_LEN]);

/**
 * For a process that holds keys for long (an unlock agent): no core dumps, and not dumpable, so that other
 * processes of the same user cannot read its memory through ptrace or /proc/PID/mem.
 */
void fieldvfs_harden_process(void);

/** A human message for a FIELDVFS_* code. */
const char *fieldvfs_errstr(int code);

/** Number of key slots currently installed (for tests and diagnostics). */
int fieldvfs_slot_count(void);

/**
 * Testing only: makes the next fieldvfs_keyfile_change_passphrase on keyfile_path stop with FIELDVFS_IO after
 * the given step, simulating a crash there: 1 = after writing the temporary file (not yet renamed), 2 = after
 * the rename (directory not yet synced). step 0 (or a NULL path) disables. Other paths are unaffected.
 */
void fieldvfs_testing_set_fault(const char *keyfile_path, int step);

#ifdef __cplusplus
}
#endif

#endif /* FIELDVFS_H */
