/*
 * vfs-torture: crash-recovery helper for the CFieldVFS tests.
 *
 *   vfs-torture DIR wal|delete|truncate|persist [SECONDS]
 *
 * Opens (creating on first use) the encrypted store DIR/store.db with key file DIR/store.key (passphrase
 * "torture", small scrypt parameters), then commits one row per transaction, each also rewriting an older
 * row so the journal / WAL carries old and new pages. After each COMMIT returns it prints the new row id
 * on its own line and flushes stdout. The test kills it with SIGKILL at a random moment; it stops by itself
 * after SECONDS (default 30) so it can never outlive a failed test for long.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "fieldvfs.h"

static const char k_pass[] = "torture";

static int fail(sqlite3 *db, const char *what) {
    fprintf(stderr, "vfs-torture: %s: %s\n", what, db != NULL ? sqlite3_errmsg(db) : "");
    return 1;
}

static int exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "vfs-torture: %s: %s\n", sql, err != NULL ? err : "");
        sqlite3_free(err);
    }
    return rc;
}

int main(int argc, char **argv) {
    static const char *const modes[] = {"wal", "delete", "truncate", "persist"};
    const char *mode = NULL;
    for (size_t i = 0; argc >= 3 && i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (strcmp(argv[2], modes[i]) == 0) mode = modes[i];
    }
    if (mode == NULL) {
        fprintf(stderr, "usage: vfs-torture DIR wal|delete|truncate|persist [SECONDS]\n");
        return 64;
    }
    const char *dir = argv[1];
    double limit = argc > 3 ? atof(argv[3]) : 30.0;
    char key[4096];
    char uri[4200];
    char slot[FIELDVFS_SLOT_LEN];
    fieldvfs_kdf_params params = {10, 8, 1};

    if (fieldvfs_register() != SQLITE_OK) return fail(NULL, "register");
    snprintf(key, sizeof(key), "%s/store.key", dir);
    int rc = fieldvfs_keyfile_create(key, k_pass, strlen(k_pass), &params);
    if (rc != FIELDVFS_OK && rc != FIELDVFS_EXISTS) return fail(NULL, fieldvfs_errstr(rc));
    rc = fieldvfs_keyfile_unlock(key, k_pass, strlen(k_pass), slot);
    if (rc != FIELDVFS_OK) return fail(NULL, fieldvfs_errstr(rc));
    snprintf(uri, sizeof(uri), "file:%s/store.db?vfs=%s&%s=%s", dir, FIELDVFS_NAME, FIELDVFS_KEY_PARAM, slot);

    sqlite3 *db = NULL;
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
        return fail(db, "open");
    }
    if (fieldvfs_prepare_connection(db) != SQLITE_OK) return fail(db, "prepare");
    sqlite3_busy_timeout(db, 5000);
    char pragma[64];
    snprintf(pragma, sizeof(pragma), "PRAGMA journal_mode=%s", mode);
    if (exec(db, pragma) != SQLITE_OK) return 1;
    if (exec(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, body TEXT NOT NULL);"
                 "CREATE INDEX IF NOT EXISTS t_body ON t(body);") != SQLITE_OK) {
        return 1;
    }

    sqlite3_stmt *ins = NULL;
    sqlite3_stmt *upd = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO t(body) VALUES (?1)", -1, &ins, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(db, "UPDATE t SET body = ?1 WHERE id = (SELECT id FROM t ORDER BY random() LIMIT 1)",
                              -1, &upd, NULL) != SQLITE_OK) {
        return fail(db, "prepare statements");
    }

    char body[2048];
    srand((unsigned)time(NULL) ^ (unsigned)clock());
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int len = 400 + rand() % 1200;
        for (int i = 0; i < len; i++) body[i] = (char)('a' + rand() % 26);
        body[len] = '\0';
        if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK) return 1;
        sqlite3_bind_text(ins, 1, body, len, SQLITE_TRANSIENT);
        if (sqlite3_step(ins) != SQLITE_DONE) return fail(db, "insert");
        sqlite3_reset(ins);
        sqlite3_int64 id = sqlite3_last_insert_rowid(db);
        body[0] = 'Z';
        sqlite3_bind_text(upd, 1, body, len / 2, SQLITE_TRANSIENT);
        if (sqlite3_step(upd) != SQLITE_DONE) return fail(db, "update");
        sqlite3_reset(upd);
        if (exec(db, "COMMIT") != SQLITE_OK) return 1;
        printf("%lld\n", (long long)id);
        fflush(stdout);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 > limit) break;
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(upd);
    sqlite3_close(db);
    fieldvfs_slot_release(slot);
    return 0;
}
