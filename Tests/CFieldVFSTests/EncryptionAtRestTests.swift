import CFieldVFS
import CSQLite
import Foundation
import Testing

/// Marker text written into the store; none of it may appear in any file on disk.
let secretMarkers = ["CONFIDENTIAL-MARKER-7f3a", "zebrafishsearchterm", "Marlowe-Subject-Name", "tag-safeguard-xq"]
let sqliteMagic = "SQLite format 3"

/// Creates a small schema like LocalStore's (tables, an index, FTS5) and fills it with marker text.
func writeMarkerWorkload(_ c: Connection, rows: Int = 300) throws {
    try c.exec(
        """
        CREATE TABLE subjects(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE notes(id INTEGER PRIMARY KEY, subject INTEGER, body TEXT NOT NULL, tags TEXT);
        CREATE INDEX notes_tags ON notes(tags);
        CREATE VIRTUAL TABLE notes_fts USING fts5(body, tags);
        """)
    try c.exec("BEGIN")
    let filler = String(repeating: "visit notes and observations ", count: 8)
    for i in 0..<rows {
        try c.exec(
            """
            INSERT INTO subjects(name) VALUES ('Marlowe-Subject-Name \(i)');
            INSERT INTO notes(subject, body, tags)
                VALUES (\(i), 'CONFIDENTIAL-MARKER-7f3a \(i) zebrafishsearchterm \(filler)', 'tag-safeguard-xq');
            INSERT INTO notes_fts(body, tags)
                VALUES ('zebrafishsearchterm \(i) CONFIDENTIAL-MARKER-7f3a', 'tag-safeguard-xq');
            """)
    }
    try c.exec("COMMIT")
}

@Suite("Encryption at rest: no plaintext in any file")
struct EncryptionAtRestTests {
    @Test("No marker and no SQLite magic in db, journal, WAL, shm or key file", arguments: ["DELETE", "WAL"])
    func nothingReadableOnDisk(journalMode: String) throws {
        let store = try TestStore()
        let slot = try store.createAndUnlock()
        defer { fieldvfs_slot_release(slot) }
        let needles = secretMarkers + [sqliteMagic]
        do {
            let c = try store.open(slot: slot, journalMode: journalMode)
            // A tiny cache makes SQLite spill pages to the journal / WAL while the transaction is still open;
            // no automatic checkpoint keeps committed frames in the WAL.
            try c.exec("PRAGMA cache_size=5; PRAGMA wal_autocheckpoint=0;")
            try writeMarkerWorkload(c)

            try c.exec("BEGIN")
            try c.exec("UPDATE notes SET body = body || ' CONFIDENTIAL-MARKER-7f3a edited'")
            try c.exec("INSERT INTO notes_fts(body, tags) VALUES ('zebrafishsearchterm during', 'tag-safeguard-xq')")
            let during = try store.snapshot()
            let sideFile = journalMode == "WAL" ? "store.db-wal" : "store.db-journal"
            #expect((during[sideFile]?.count ?? 0) > 4096, "the \(sideFile) should hold pages during the transaction")
            #expect(leaks(in: during, of: needles) == [], "during an open transaction")
            try c.exec("COMMIT")

            let committed = try store.snapshot()
            if journalMode == "WAL" {
                #expect((committed["store.db-wal"]?.count ?? 0) > 4096)
                #expect(committed["store.db-shm"] != nil)
            }
            #expect(leaks(in: committed, of: needles) == [], "after commit")
            let hits = try c.scalar("SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'zebrafishsearchterm'")
            #expect(hits == "301")
            let edited = try c.scalar("SELECT count(*) FROM notes WHERE body LIKE '%edited'")
            #expect(edited == "300")
        }
        let closed = try store.snapshot()
        #expect(closed["store.key"] != nil && closed["store.db"] != nil)
        #expect(leaks(in: closed, of: needles) == [], "after close")
    }

    @Test("Control: the same workload on plain SQLite does leak, so the scan can fail")
    func plainSQLiteLeaks() throws {
        let store = try TestStore()
        do {
            let c = try Connection(uri: "file:\(store.databasePath)")
            try writeMarkerWorkload(c, rows: 20)
        }
        let found = leaks(in: try store.snapshot(), of: secretMarkers + [sqliteMagic])
        #expect(found.contains("store.db: \(sqliteMagic)"))
        #expect(found.contains("store.db: CONFIDENTIAL-MARKER-7f3a"))
    }

    @Test("Page 1 keeps bytes 16-23 readable and stores the database id instead of the magic")
    func pageOneLayout() throws {
        let store = try TestStore()
        let slot = try store.createAndUnlock()
        defer { fieldvfs_slot_release(slot) }
        do {
            let c = try store.open(slot: slot)
            try c.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        }
        let db = try #require(try store.snapshot()["store.db"])
        let key = try #require(try store.snapshot()["store.key"])
        #expect(db[16] == 0x10 && db[17] == 0x00, "page size 4096 stays readable")
        #expect(db[20] == UInt8(FIELDVFS_RESERVE_BYTES), "reserve bytes recorded in the header")
        #expect(db.subdata(in: 0..<16) == key.subdata(in: 64..<80), "bytes 0-15 hold the database id")
    }

    @Test("Rewriting identical content gives a fresh nonce and ciphertext every time, across connections")
    func freshNoncePerWrite() throws {
        let store = try TestStore()
        let slot = try store.createAndUnlock()
        defer { fieldvfs_slot_release(slot) }
        let url = URL(fileURLWithPath: store.databasePath)
        var nonces = Set<Data>()
        var pages = Set<Data>()
        for connection in 0..<5 {
            let c = try store.open(slot: slot, journalMode: "DELETE")
            try c.exec("CREATE TABLE IF NOT EXISTS t(x TEXT); DELETE FROM t; INSERT INTO t VALUES ('same-b');")
            for i in 0..<10 {
                // Alternate between two values (SQLite skips writing an identical row): each plaintext page
                // recurs many times, and its ciphertext must never.
                try c.exec("UPDATE t SET x = '\(i % 2 == 0 ? "same-a" : "same-b")'")
                let page2 = try Data(contentsOf: url).subdata(in: 4096..<8192)
                nonces.insert(page2.subdata(in: (4096 - 28)..<(4096 - 16)))
                pages.insert(page2)
            }
            #expect(nonces.count == (connection + 1) * 10)
        }
        #expect(pages.count == 50)
    }
}
