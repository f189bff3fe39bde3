import CFieldVFS
import CSQLite
import Foundation
import Testing

@Suite("Differential: the encrypted store answers exactly as plain SQLite")
struct DifferentialTests {
    private static let words = ["visit", "school", "housing", "health", "family", "court", "college", "referral"]

    private func randomText(_ rng: inout SeededGenerator) -> String {
        let count = Int.random(in: 1...200, using: &rng)
        return (0..<count).map { _ in Self.words.randomElement(using: &rng)! }.joined(separator: " ")
    }

    private func ftsDelete(_ id: Int) -> String {
        "INSERT INTO notes_fts(notes_fts, rowid, body) SELECT 'delete', id, body FROM notes WHERE id = \(id);"
    }

    private func snapshot(_ c: Connection) throws -> [[String?]] {
        try c.query("SELECT id, subject, body FROM notes ORDER BY id")
            + c.query("SELECT rowid FROM notes_fts WHERE notes_fts MATCH 'court AND family' ORDER BY rowid")
            + c.query("SELECT subject, count(*), sum(length(body)) FROM notes GROUP BY subject ORDER BY subject")
    }

    @Test("Same random operations, same results", arguments: [("WAL", UInt64(1)), ("DELETE", UInt64(2))])
    func sameResults(journalMode: String, seed: UInt64) throws {
        let store = try TestStore()
        let slot = try store.createAndUnlock()
        defer { fieldvfs_slot_release(slot) }
        let encrypted = try store.open(slot: slot, journalMode: journalMode)
        let plain = try Connection(uri: "file:\(store.directory.path)/plain.db")
        _ = try plain.query("PRAGMA journal_mode=\(journalMode)")
        var rng = SeededGenerator(seed: seed)
        for c in [encrypted, plain] {
            // A small cache forces spills, re-reads and (in WAL) in-place frame rewrites. No fsync: this test
            // compares answers, not durability (ROLLBACK still verifies every journal record's checksum).
            try c.exec(
                """
                PRAGMA cache_size=8; PRAGMA synchronous=OFF;
                CREATE TABLE notes(id INTEGER PRIMARY KEY, subject INTEGER, body TEXT);
                CREATE INDEX notes_subject ON notes(subject);
                CREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes', content_rowid='id');
                """)
        }
        var nextId = 1
        for step in 0..<400 {
            let ops = Int.random(in: 1...6, using: &rng)
            var batch = "BEGIN;"
            for _ in 0..<ops {
                let id = Int.random(in: 1...max(1, nextId), using: &rng)
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<5:
                    let body = randomText(&rng)
                    batch += "INSERT INTO notes(id, subject, body) VALUES (\(nextId), \(nextId % 7), '\(body)');"
                    batch += "INSERT INTO notes_fts(rowid, body) VALUES (\(nextId), '\(body)');"
                    nextId += 1
                case 5..<7:
                    let body = randomText(&rng)
                    batch += ftsDelete(id)
                    batch += "UPDATE notes SET body = '\(body)' WHERE id = \(id);"
                    batch += "INSERT INTO notes_fts(rowid, body) SELECT id, body FROM notes WHERE id = \(id);"
                case 7:
                    batch += ftsDelete(id)
                    batch += "DELETE FROM notes WHERE id = \(id);"
                case 8:
                    batch += "SAVEPOINT s; UPDATE notes SET body = 'discarded' WHERE subject = \(id % 7);"
                    batch += "ROLLBACK TO s; RELEASE s;"
                default:
                    batch += "UPDATE notes SET subject = subject + 1 WHERE id % 5 = \(id % 5);"
                }
            }
            let rollback = Int.random(in: 0..<8, using: &rng) == 0
            batch += rollback ? "ROLLBACK;" : "COMMIT;"
            try encrypted.exec(batch)
            try plain.exec(batch)
            if step % 100 == 99 {
                #expect(try snapshot(encrypted) == snapshot(plain), "step \(step)")
            }
        }
        #expect(try snapshot(encrypted) == snapshot(plain))
        #expect(try encrypted.query("PRAGMA integrity_check").map { $0[0] } == ["ok"])
        let reopened = try store.open(slot: slot)
        #expect(try snapshot(reopened) == snapshot(plain))
    }
}
