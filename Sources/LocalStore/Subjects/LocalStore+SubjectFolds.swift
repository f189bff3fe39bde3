import Foundation
import GRDB
import SyncProtocol

/// The read model of merged subjects: every subject record that names another in `mergedInto`, and the subject its
/// notes are shown under (``SubjectFolds``). Kept in the `subject_fold` table, derived from the records like the
/// other query rows, so that lists, follow-ups, search and export read one join instead of following chains.
extension LocalStore {
    /// Brings `subject_fold` in step with a subject record, before the record's own row is projected.
    ///
    /// When the folds change, the subjects whose standing changed (the kept subject of a cycle of merges is shown
    /// even though its record is deleted) are projected again, and the search rows of the notes concerned get
    /// their kept subject's words.
    func projectSubjectFold(_ db: Database, _ record: SyncRecord) throws {
        let target = SubjectFolds.mergedInto(of: record)
        let stored = try String.fetchOne(
            db.cachedStatement(sql: "SELECT mergedInto FROM subject_fold WHERE id = ?"), arguments: [record.id])
        if target != stored {
            if let target {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO subject_fold (id, mergedInto, keptID) VALUES (?, ?, ?)",
                    arguments: [record.id, target, target])
            } else {
                try db.execute(sql: "DELETE FROM subject_fold WHERE id = ?", arguments: [record.id])
            }
            try refreshSubjectFolds(db, projecting: record.id)
        }
        // Notes about subjects folded into this one are found by its reference and name.
        let folded = try String.fetchAll(
            db.cachedStatement(sql: "SELECT id FROM subject_fold WHERE keptID = ? AND id != keptID"),
            arguments: [record.id])
        if !folded.isEmpty {
            subjectWordsCache.removeAll(keepingCapacity: true)
            let words =
                record.isPurged
                ? ""
                : Self.subjectSearchText(
                    reference: record.string("reference") ?? record.id, displayName: record.string("displayName") ?? "")
            try reindexSubjectWords(db, noteSubjects: folded, words: words)
        }
    }

    /// Whether a subject must be shown although its record is deleted: it is the kept subject of a cycle of merges
    /// (merge.md, "Duplicate subjects"), whose own fold is ignored.
    func isKeptDespiteDeletion(_ db: Database, subjectID: String) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT keptID = id FROM subject_fold WHERE id = ?"), arguments: [subjectID]
        ) ?? false
    }

    /// The subject ids whose notes are shown under these subjects: themselves and every subject folded into one.
    func noteSubjectIDs(_ db: Database, shownUnder ids: [String]) throws -> [String] {
        var result = ids
        for id in ids {
            result += try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM subject_fold WHERE keptID = ? AND id != keptID"),
                arguments: [id])
        }
        return result
    }

    /// The folds as they stand in `subject_fold`.
    func subjectFolds(_ db: Database) throws -> SubjectFolds {
        var mergedInto: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, mergedInto FROM subject_fold") {
            mergedInto[row["id"]] = row["mergedInto"]
        }
        return SubjectFolds(mergedInto)
    }

    /// Computes every fold's kept subject again after one `mergedInto` changed, and projects again the subjects
    /// whose standing changed (other than `projecting`, which the caller projects next).
    private func refreshSubjectFolds(_ db: Database, projecting: String) throws {
        subjectWordsCache.removeAll(keepingCapacity: true)
        var before: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, keptID FROM subject_fold") {
            before[row["id"]] = row["keptID"]
        }
        let folds = try subjectFolds(db)
        var changedKept: [String] = []
        var changedStanding: [String] = []
        for (id, oldKept) in before {
            let newKept = folds.keptID(of: id)
            guard newKept != oldKept else { continue }
            try db.execute(sql: "UPDATE subject_fold SET keptID = ? WHERE id = ?", arguments: [newKept, id])
            changedKept.append(id)
            if (oldKept == id) != (newKept == id) { changedStanding.append(id) }
        }
        for id in changedStanding where id != projecting {
            if let subject = try loadRecord(db, collection: Collection.subjects, id: id) {
                try project(db, subject, isNew: false)
            }
        }
        // Notes naming a subject whose kept subject changed are found by the new one's words. The row just written
        // for `projecting` counts too (it may have been a cycle's kept subject, or a subject of its own, before).
        var affected = Set(changedKept)
        affected.insert(projecting)
        for id in affected.sorted() {
            let keptID = folds.keptID(of: id)
            let words =
                try Row.fetchOne(
                    db, sql: "SELECT reference, displayName FROM subject WHERE id = ?", arguments: [keptID]
                ).map { Self.subjectSearchText(reference: $0[0], displayName: $0[1]) } ?? ""
            try reindexSubjectWords(db, noteSubjects: [id], words: words)
        }
    }

    /// Sets the subject words of the search rows of the notes that name these subjects.
    private func reindexSubjectWords(_ db: Database, noteSubjects: [String], words: String) throws {
        for subjectID in noteSubjects {
            let rowids = try Int64.fetchAll(
                db.cachedStatement(sql: "SELECT rowid FROM note WHERE subjectID = ?"), arguments: [subjectID])
            for rowid in rowids {
                try db.cachedStatement(sql: "UPDATE note_fts SET subject = ? WHERE rowid = ?")
                    .execute(arguments: [words, rowid])
            }
        }
    }

    /// Fills `subject_fold` from the stored records (the migration that adds it, and a rebuild of derived data).
    static func rebuildSubjectFolds(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM subject_fold")
        var records: [SyncRecord] = []
        // Only records that hold the field at all are decoded; a subject's state is its canonical wire JSON.
        let rows = try Row.fetchCursor(
            db, sql: "SELECT state FROM record WHERE collection = ? AND instr(state, ?) > 0",
            arguments: [Collection.subjects, Data("\"\(ScopeFields.mergedInto)\"".utf8)])
        while let row = try rows.next() {
            records.append(try RecordCoding.decode(row["state"] as Data))
        }
        let folds = SubjectFolds(records: records)
        for record in records {
            guard let target = SubjectFolds.mergedInto(of: record) else { continue }
            let id = record.id
            try db.execute(
                sql: "INSERT INTO subject_fold (id, mergedInto, keptID) VALUES (?, ?, ?)",
                arguments: [id, target, folds.keptID(of: id)])
        }
    }
}
