import CFieldVFS
import CSQLite
import Foundation
import Testing

@Suite("Journal and WAL: recovery decrypts them, tampering never yields tampered data")
struct SideFileTamperTests {
    /// Copies the store's files into a fresh store directory, as a crash would leave them.
    private func crashImage(of store: TestStore, files: [String]) throws -> TestStore {
        let copy = try TestStore()
        for name in files {
            try FileManager.default.copyItem(
                at: store.directory.appendingPathComponent(name),
                to: copy.directory.appendingPathComponent(name)
            )
        }
        return copy
    }

    private func filled(_ store: TestStore, slot: String, mode: String) throws -> Connection {
        let c = try store.open(slot: slot, journalMode: mode)
        try c.exec("PRAGMA cache_size=5; PRAGMA wal_autocheckpoint=0;")
        try c.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT)")
        try c.exec("BEGIN")
        for i in 0..<200 { try c.exec("INSERT INTO t(body) VALUES ('before \(i) ' || hex(randomblob(100)))") }
        try c.exec("COMMIT")
        return c
    }

    @Test("A hot rollback journal is played back; a tampered one is an error, not data")
    func hotJournal() throws {
        let store = try TestStore()
        let slot = try store.createAndUnlock()
        defer { fieldvfs_slot_release(slot) }
        let c = try filled(store, slot: slot, mode: "DELETE")
        // The tiny cache spills: the journal holds the original pages and the database already holds new ones.
        try c.exec("BEGIN; UPDATE t SET body = 'after ' || body;")
        let files = ["store.key", "store.db", "store.db-journal"]
        let intact = try crashImage(of: store, files: files)
        let tampered = try crashImage(of: store, files: files)
        try c.exec("ROLLBACK")

        let journalURL = tampered.directory.appendingPathComponent("store.db-journal")
        var journal = try Data(contentsOf: journalURL)
        #expect(journal.count > 8192)
        journal[512 + 4 + 1000] ^= 0x20  // inside the first page record (header sector is 512 bytes)
        try journal.write(to: journalURL)

        do {
            let r = try intact.open(slot: slot)
            #expect(try r.query("PRAGMA integrity_check").map { $0[0] } == ["ok"])
            #expect(try r.scalar("SELECT count(*) FROM t WHERE body LIKE 'before%'") == "200")
        }
        #expect(!FileManager.default.fileExists(atPath: intact.databasePath + "-journal"), "journal played back")

        let failure = #expect(throws: SQLiteFailure.self) {
            let r = try tampered.open(slot: slot)
            _ = try r.query("SELECT count(*) FROM t")
        }
        #expect(failure?.code == sqliteIOErrData)
    }

    @Test("A tampered WAL frame read through a live wal-index fails authentication")
    func liveWALTamper() throws {
        let store = try TestStore()
        let slot = try store.createAndUnlock()
        defer { fieldvfs_slot_release(slot) }
        let writer = try filled(store, slot: slot, mode: "WAL")
        let walURL = URL(fileURLWithPath: store.databasePath + "-wal")
        var wal = try Data(contentsOf: walURL)
        let frame = 4096 + 24
        let frames = (wal.count - 32) / frame
        #expect(frames > 10)
        wal[32 + (frames - 1) * frame + 24 + 700] ^= 0x01  // the page of the last committed frame
        try wal.write(to: walURL)

        let failure = #expect(throws: SQLiteFailure.self) {
            let reader = try store.open(slot: slot)
            _ = try reader.query("PRAGMA integrity_check")
            _ = try reader.query("SELECT * FROM t")
        }
        #expect(failure?.code == sqliteIOErrData)
        _ = writer
    }

    @Test("WAL recovery stops before a frame that fails authentication: an older consistent state, never its bytes")
    func walRecoveryStopsAtBadFrame() throws {
        let store = try TestStore()
        let slot = try store.createAndUnlock()
        defer { fieldvfs_slot_release(slot) }
        let c = try filled(store, slot: slot, mode: "WAL")
        try c.exec("INSERT INTO t(body) VALUES ('last transaction')")
        let image = try crashImage(of: store, files: ["store.key", "store.db", "store.db-wal"])
        let walURL = image.directory.appendingPathComponent("store.db-wal")
        var wal = try Data(contentsOf: walURL)
        let frame = 4096 + 24
        let frames = (wal.count - 32) / frame
        wal[32 + (frames - 1) * frame + 24 + 700] ^= 0x01  // the last transaction's commit frame
        try wal.write(to: walURL)

        let r = try image.open(slot: slot)
        #expect(try r.query("PRAGMA integrity_check").map { $0[0] } == ["ok"])
        #expect(try r.scalar("SELECT count(*) FROM t WHERE body LIKE 'before%'") == "200")
        #expect(try r.scalar("SELECT count(*) FROM t WHERE body = 'last transaction'") == "0")
    }
}
