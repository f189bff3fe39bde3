import CFieldVFS
import CSQLite
import Foundation
import Testing

@Suite("Journal modes, concurrency, temporary files and failing closed")
struct JournalModeTests {
    @Test("Both journal modes survive close and reopen with integrity", arguments: ["DELETE", "WAL"])
    func reopen(journalMode: String) throws {
        let store = try TestStore()
        let slot = try store.createAndUnlock()
        defer { fieldvfs_slot_release(slot) }
        do {
            let c = try store.open(slot: slot, journalMode: journalMode)
            try writeMarkerWorkload(c, rows: 120)
            try c.exec("DELETE FROM notes WHERE id % 4 = 0")
            try c.exec("UPDATE subjects SET name = name || ' (moved)' WHERE id < 10")
        }
        for _ in 0..<2 {
            let c = try store.open(slot: slot)
            #expect(try c.query("PRAGMA integrity_check").map { $0[0] } == ["ok"])
            #expect(try c.scalar("PRAGMA journal_mode")?.uppercased() == journalMode)
            #expect(try c.scalar("SELECT count(*) FROM notes") == "90")
            #expect(try c.scalar("SELECT count(*) FROM subjects WHERE name LIKE '%(moved)'") == "9")
            #expect(try c.scalar("SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'zebrafishsearchterm'") == "120")
        }
    }

    @Test("Switching DELETE -> WAL -> DELETE keeps the data")
    func switchModes() throws {
        let store = try TestStore()
        let slot = try store.createAndUnlock()
        defer { fieldvfs_slot_release(slot) }
        for (i, mode) in ["DELETE", "WAL", "DELETE"].enumerated() {
            let c = try store.open(slot: slot, journalMode: mode)
            try c.exec("CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (\(i));")
            #expect(try c.scalar("SELECT group_concat(x) FROM t") == (0...i).map(String.init).joined(separator: ","))
        }
    }

    @Test("WAL: a writer and a reader on two threads, as a DatabasePool does")
    func writerAndReader() throws {
        let store = try TestStore()
        let slot = try store.createAndUnlock()
        defer { fieldvfs_slot_release(slot) }
        let writer = try store.open(slot: slot, journalMode: "WAL")
        try writer.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT)")
        // DatabasePool readers are read-only connections.
        let reader = try Connection(uri: store.uri(slot: slot), flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_URI)
        try reader.prepareForVFS()
        let errors = Locked<[String]>([])
        let reads = Locked<Int>(0)
        let rows = 300
        // Two real threads; the writer starts only after the reader's first read, so the reader is guaranteed to
        // see the table grow while it reads (on a loaded machine two work items could otherwise run one after
        // the other).
        let readerStarted = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        done.enter()
        let writerThread = Thread {
            defer { done.leave() }
            do {
                if readerStarted.wait(timeout: .now() + 30) == .timedOut {
                    errors.mutate { $0.append("the reader never started") }
                }
                for i in 0..<rows {
                    try writer.exec("INSERT INTO t(body) VALUES ('row \(i) ' || hex(randomblob(300)))")
                }
            } catch {
                errors.mutate { $0.append("writer: \(error)") }
            }
        }
        done.enter()
        let readerThread = Thread {
            defer { done.leave() }
            do {
                var last = 0
                var first = true
                while last < rows {
                    let count = Int(try reader.scalar("SELECT count(*) FROM t") ?? "") ?? -1
                    if count < last { errors.mutate { $0.append("count went back from \(last) to \(count)") } }
                    last = count
                    _ = try reader.query("SELECT body FROM t ORDER BY id DESC LIMIT 5")
                    reads.mutate { $0 += 1 }
                    if first {
                        first = false
                        readerStarted.signal()
                    }
                }
            } catch {
                errors.mutate { $0.append("reader: \(error)") }
                readerStarted.signal()
            }
        }
        writerThread.start()
        readerThread.start()
        #expect(done.wait(timeout: .now() + 120) == .success)
        #expect(errors.value == [])
        #expect(reads.value > 1)
        #expect(try reader.scalar("SELECT count(*) FROM t") == "\(rows)")
        #expect(try reader.query("PRAGMA integrity_check").map { $0[0] } == ["ok"])
    }

    @Test("Large sorts spill to temporary files that stay in memory and sort correctly")
    func sorterSpill() throws {
        let store = try TestStore()
        let slot = try store.createAndUnlock()
        defer { fieldvfs_slot_release(slot) }
        let c = try store.open(slot: slot)
        try c.exec("PRAGMA cache_size=5; CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT);")
        try c.exec("BEGIN")
        for _ in 0..<1500 { try c.exec("INSERT INTO t(body) VALUES (hex(randomblob(250)))") }
        try c.exec("COMMIT")
        let sorted = try c.query("SELECT body FROM t ORDER BY body").map { $0[0] ?? "" }
        #expect(sorted.count == 1500)
        #expect(sorted == sorted.sorted())
        try c.exec("CREATE INDEX t_body ON t(body)")
        try c.exec("PRAGMA temp_store=FILE; CREATE TEMP TABLE scratch AS SELECT * FROM t;")
        #expect(try c.scalar("SELECT count(*) FROM scratch") == "1500")
        #expect(try c.query("PRAGMA integrity_check").map { $0[0] } == ["ok"])
    }

    @Test("Opening without a key slot, or with an unknown one, fails")
    func noKeyNoOpen() throws {
        let store = try TestStore()
        #expect(throws: SQLiteFailure.self) {
            _ = try Connection(uri: "file:\(store.databasePath)?vfs=\(FIELDVFS_NAME)")
        }
        #expect(throws: SQLiteFailure.self) {
            _ = try Connection(uri: store.uri(slot: String(repeating: "0", count: 32)))
        }
        #expect(!FileManager.default.fileExists(atPath: store.databasePath))
    }

    @Test("Without prepare_connection (no reserved bytes) writes fail instead of storing anything")
    func unpreparedWritesFail() throws {
        let store = try TestStore()
        let slot = try store.createAndUnlock()
        defer { fieldvfs_slot_release(slot) }
        let c = try Connection(uri: store.uri(slot: slot))
        #expect(throws: SQLiteFailure.self) {
            try c.exec("CREATE TABLE t(x); INSERT INTO t VALUES ('CONFIDENTIAL-MARKER-7f3a');")
        }
        #expect(leaks(in: try store.snapshot(), of: secretMarkers + [sqliteMagic]).isEmpty)
    }

    @Test("prepare_connection refuses a connection that does not use the VFS")
    func prepareRefusesPlain() throws {
        let store = try TestStore()
        let c = try Connection(uri: "file:\(store.databasePath)")
        #expect(fieldvfs_prepare_connection(c.db) == SQLITE_MISUSE)
    }
}
