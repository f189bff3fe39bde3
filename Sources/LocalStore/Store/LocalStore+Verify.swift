import Foundation
import GRDB

/// What `verify` checks beyond SQLite's structure: the query rows derived from the records.
extension LocalStore {
    /// Checks that the full-text index and the note and subject rows agree with the records they are derived
    /// from. These can be rebuilt from the records (``rebuildDerivedData()``), unlike the records themselves.
    ///
    /// - Returns: one line per problem found; empty when everything agrees.
    public func derivedDataProblems() throws -> [String] {
        var problems: [String] = []
        // FTS5's check is written as an INSERT (it changes nothing), so it needs the writer's connection.
        let indexMatches = try write { db in
            do {
                try db.execute(sql: "INSERT INTO note_fts(note_fts, rank) VALUES('integrity-check', 1)")
                return true
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT {
                return false
            }
        }
        if !indexMatches { problems.append("the search index does not match the notes") }
        return try read { db in
            for (collection, table) in [(Collection.subjects, "subject"), (Collection.notes, "note")] {
                var expected: Set<String> = []
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT id, state FROM record WHERE collection = ?", arguments: [collection])
                while let row = try rows.next() {
                    let record = try RecordCoding.decode(row["state"] as Data)
                    // The kept subject of a cycle of merges has a row although the opposite merge deleted it.
                    let shown =
                        try !record.isDeleted
                        || (collection == Collection.subjects && isKeptDespiteDeletion(db, subjectID: record.id))
                    if shown && !record.isPurged { expected.insert(row["id"]) }
                }
                let present = Set(try String.fetchAll(db, sql: "SELECT id FROM \(table)"))
                let missing = expected.subtracting(present).count
                let extra = present.subtracting(expected).count
                if missing > 0 { problems.append("\(missing) \(table) row(s) missing for live records") }
                if extra > 0 { problems.append("\(extra) \(table) row(s) without a live record") }
            }
            let unindexed =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT count(*) FROM note WHERE rowid NOT IN (SELECT rowid FROM note_fts)
                        """) ?? 0
            let stray =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT count(*) FROM note_fts WHERE rowid NOT IN (SELECT rowid FROM note)
                        """) ?? 0
            if unindexed > 0 { problems.append("\(unindexed) note(s) missing from the search index") }
            if stray > 0 { problems.append("\(stray) search index row(s) without a note") }
            return problems
        }
    }

    /// Rebuilds the subject and note rows and the full-text index from the records, in one transaction.
    /// Records, the outbox and the sync cursor are not touched.
    ///
    /// - Returns: how many records were projected again.
    @discardableResult
    public func rebuildDerivedData() throws -> Int {
        try bulkWrite { db in
            try db.execute(sql: "DELETE FROM note_fts; DELETE FROM note; DELETE FROM subject")
            try Self.rebuildSubjectFolds(db)
            var count = 0
            // Subjects first: a note's search row includes its subject's words.
            for collection in [Collection.subjects, Collection.notes] {
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT state FROM record WHERE collection = ? ORDER BY rowid", arguments: [collection])
                while let row = try rows.next() {
                    try project(db, try RecordCoding.decode(row["state"] as Data), isNew: true)
                    count += 1
                }
            }
            return count
        }
    }
}
