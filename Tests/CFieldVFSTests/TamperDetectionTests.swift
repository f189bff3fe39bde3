import CFieldVFS
import CSQLite
import Foundation
import Testing

@Suite("Tampering is detected, never returned as data")
struct TamperDetectionTests {
    /// A closed rollback-mode store of a handful of pages; returns the store, its slot and the baseline rows.
    private func smallStore() throws -> (TestStore, String, [[String?]]) {
        let store = try TestStore()
        let slot = try store.createAndUnlock()
        do {
            let c = try store.open(slot: slot, journalMode: "DELETE")
            try c.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT); CREATE INDEX t_body ON t(body);")
            try c.exec("BEGIN")
            for i in 0..<24 {
                try c.exec("INSERT INTO t(body) VALUES ('row \(i) ' || hex(randomblob(200)))")
            }
            try c.exec("COMMIT")
        }
        return (store, slot, try readEverything(store, slot))
    }

    /// Reads every page in use: integrity check plus a full scan of table and index.
    private func readEverything(_ store: TestStore, _ slot: String) throws -> [[String?]] {
        let c = try Connection(uri: store.uri(slot: slot), flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI)
        try c.prepareForVFS()
        let check = try c.query("PRAGMA integrity_check").map { $0[0] ?? "" }
        guard check == ["ok"] else {
            throw SQLiteFailure(code: SQLITE_CORRUPT, message: check.joined(separator: "; "), sql: "integrity_check")
        }
        return try c.query("SELECT id, body FROM t ORDER BY id") + c.query("SELECT body FROM t ORDER BY body")
    }

    /// Runs `readEverything` on the tampered file and returns the failure it must produce.
    private func expectFailure(_ store: TestStore, _ slot: String, _ what: String) -> SQLiteFailure? {
        do {
            let rows = try readEverything(store, slot)
            Issue.record("\(what): read \(rows.count) rows without an error")
            return nil
        } catch let failure as SQLiteFailure {
            return failure
        } catch {
            Issue.record("\(what): unexpected error \(error)")
            return nil
        }
    }

    @Test("A flipped bit anywhere in any page fails authentication (SQLITE_IOERR_DATA)")
    func flippedBitInEveryPage() throws {
        let (store, slot, baseline) = try smallStore()
        defer { fieldvfs_slot_release(slot) }
        #expect(baseline.count == 48)
        let url = URL(fileURLWithPath: store.databasePath)
        let original = try Data(contentsOf: url)
        let pageSize = 4096
        let pages = original.count / pageSize
        #expect(pages >= 4 && original.count % pageSize == 0)
        for page in 0..<pages {
            // Body bytes, the nonce, the tag; on page 1 also the database id in bytes 0-15.
            var offsets = [100 + (page * 397) % 3000, pageSize - 20, pageSize - 3]
            if page == 0 { offsets += [3, 24, 30] }
            for inPage in offsets {
                var bad = original
                bad[page * pageSize + inPage] ^= 0x10
                try bad.write(to: url)
                let failure = expectFailure(store, slot, "page \(page + 1) byte \(inPage)")
                #expect(failure?.code == sqliteIOErrData, "page \(page + 1) byte \(inPage)")
            }
        }
        try original.write(to: url)
        #expect(try readEverything(store, slot) == baseline)
    }

    @Test("A flipped bit in page 1's readable header bytes 16-23 is detected")
    func flippedHeaderByte() throws {
        let (store, slot, _) = try smallStore()
        defer { fieldvfs_slot_release(slot) }
        let url = URL(fileURLWithPath: store.databasePath)
        let original = try Data(contentsOf: url)
        for offset in 16..<24 {
            var bad = original
            bad[offset] ^= 0x01
            try bad.write(to: url)
            #expect(expectFailure(store, slot, "header byte \(offset)") != nil)
        }
    }

    @Test("Swapped pages fail authentication")
    func swappedPages() throws {
        let (store, slot, _) = try smallStore()
        defer { fieldvfs_slot_release(slot) }
        let url = URL(fileURLWithPath: store.databasePath)
        let original = try Data(contentsOf: url)
        var bad = original
        let a = 1 * 4096, b = 2 * 4096
        bad.replaceSubrange(a..<(a + 4096), with: original.subdata(in: b..<(b + 4096)))
        bad.replaceSubrange(b..<(b + 4096), with: original.subdata(in: a..<(a + 4096)))
        try bad.write(to: url)
        #expect(expectFailure(store, slot, "pages 2 and 3 swapped")?.code == sqliteIOErrData)
    }

    @Test("A truncated file is detected", arguments: [2048, 4096, 8192 + 100])
    func truncated(by bytes: Int) throws {
        let (store, slot, _) = try smallStore()
        defer { fieldvfs_slot_release(slot) }
        let url = URL(fileURLWithPath: store.databasePath)
        let original = try Data(contentsOf: url)
        try original.prefix(original.count - bytes).write(to: url)
        #expect(expectFailure(store, slot, "truncated by \(bytes)") != nil)
    }

    @Test("Another store's key cannot read the database")
    func otherKey() throws {
        let (store, slot, _) = try smallStore()
        defer { fieldvfs_slot_release(slot) }
        let other = try TestStore()
        let otherSlot = try other.createAndUnlock()
        defer { fieldvfs_slot_release(otherSlot) }
        #expect(expectFailure(store, otherSlot, "foreign key")?.code == sqliteIOErrData)
    }
}
