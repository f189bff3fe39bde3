import Foundation
import GRDB
import SyncProtocol

/// A record this device stopped reading while it held local changes not yet pushed: kept aside, never pushed, for a
/// person to read (protocol version 2, `removed`; README §14). Nothing written on the device is silently lost.
public struct SetAsideRecord: Codable, Equatable, Sendable {
    /// `notes` or `subjects`.
    public var collection: String
    /// The record's id.
    public var id: String
    /// When the record was set aside.
    public var setAsideAt: Date
    /// Why, in a few words (e.g. access ended).
    public var reason: String
    /// Whether the local state was a deletion (the unpushed change deleted the record).
    public var deleted: Bool
    /// The record's shown values as text, by field (tags comma-separated, timestamps ISO 8601); for a note, its
    /// subject's reference is under `subjectReference` when the device knew it.
    public var values: [String: String]
}

extension LocalStore {
    /// Why a record named in a pulled page's `removed` left the device.
    static let accessEndedReason = "access ended: the team no longer reads it"
    /// Why a note left with its subject (readers of a note are within its subject's).
    static let subjectAccessEndedReason = "access ended: the team no longer reads its subject"

    /// Drops every record of `keys` with all its local state: the record, its projection rows (a subject's merge
    /// fold too), its search rows and its outbox entry. A record with an outbox entry (a local change not yet
    /// pushed) is first kept aside in `set_aside`. A removed subject takes with it the local notes about it that the
    /// page does not name (written here and never pushed, so the server cannot name them): a team that stops reading
    /// a subject reads none of its notes. Runs in the caller's transaction, the page's.
    func removeRecords(_ db: Database, _ keys: [RecordKey], into outcome: inout ApplyOutcome, at now: Date) throws {
        for key in keys {
            try removeWithLocalNotes(db, key, reason: Self.accessEndedReason, into: &outcome, at: now)
        }
    }

    /// Removes a record; a subject first takes the local notes about it along (see ``removeRecords``).
    private func removeWithLocalNotes(
        _ db: Database, _ key: RecordKey, reason: String, into outcome: inout ApplyOutcome, at now: Date
    ) throws {
        if key.collection == Collection.subjects {
            for noteID in try notesAbout(db, subjectID: key.id) {
                try removeRecord(
                    db, RecordKey(collection: Collection.notes, id: noteID), reason: Self.subjectAccessEndedReason,
                    into: &outcome, at: now)
            }
        }
        try removeRecord(db, key, reason: reason, into: &outcome, at: now)
    }

    /// Why a record the server refused to take from this team left the device.
    static let refusedReason = "access ended: the server no longer takes changes to it from this team"

    /// Keeps aside a queued local change the server refused because this team no longer reads the record
    /// (`403 forbidden_record` on a push): its access ended after the change was written here. The record leaves the
    /// device as a removal would (a subject with its local notes), so the rest of the outbox can be pushed and the
    /// pull that names the removal can come. A purged record is not handled here: that refusal is about permission to
    /// purge, not about access.
    ///
    /// - Returns: what was removed and kept aside, or `nil` when the store holds no such queued, unpurged record.
    public func setAsideRefusedChange(_ key: RecordKey, at now: Date = Date()) throws -> ApplyOutcome? {
        try write { db in
            guard let record = try loadRecord(db, collection: key.collection, id: key.id), !record.isPurged,
                try Int64.fetchOne(
                    db, sql: "SELECT seq FROM outbox WHERE collection = ? AND id = ?",
                    arguments: [key.collection, key.id]) != nil
            else { return nil }
            var outcome = ApplyOutcome()
            try removeWithLocalNotes(db, key, reason: Self.refusedReason, into: &outcome, at: now)
            return outcome
        }
    }

    func removeRecord(
        _ db: Database, _ key: RecordKey, reason: String, into outcome: inout ApplyOutcome, at now: Date
    ) throws {
        let arguments: StatementArguments = [key.collection, key.id]
        guard
            let state = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT state FROM record WHERE collection = ? AND id = ?"),
                arguments: arguments)
        else { return }
        let pending = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT seq FROM outbox WHERE collection = ? AND id = ?"), arguments: arguments)
        if pending != nil {
            try db.cachedStatement(
                sql: "INSERT INTO set_aside (collection, id, state, setAsideAt, reason) VALUES (?, ?, ?, ?, ?)"
            ).execute(arguments: [
                key.collection, key.id, state, Int64(now.timeIntervalSince1970 * 1000), reason,
            ])
            outcome.setAside += 1
        }
        try db.cachedStatement(sql: "DELETE FROM outbox WHERE collection = ? AND id = ?").execute(arguments: arguments)
        try db.cachedStatement(sql: "DELETE FROM record WHERE collection = ? AND id = ?").execute(arguments: arguments)
        switch key.collection {
        case Collection.notes:
            if let rowid = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT rowid FROM note WHERE id = ?"), arguments: [key.id])
            {
                try db.cachedStatement(sql: "DELETE FROM note_fts WHERE rowid = ?").execute(arguments: [rowid])
                try db.cachedStatement(sql: "DELETE FROM note WHERE rowid = ?").execute(arguments: [rowid])
            }
        case Collection.subjects:
            subjectWordsCache[key.id] = nil
            // Its merge into another subject goes too: projected as a record that holds nothing.
            try projectSubjectFold(db, SyncRecord(collection: Collection.subjects, id: key.id))
            try db.cachedStatement(sql: "DELETE FROM subject WHERE id = ?").execute(arguments: [key.id])
        default:
            break
        }
        outcome.removed += 1
    }

    /// The ids of the local notes about a subject: live ones (from their projection) and those waiting in the
    /// outbox (a deletion not yet pushed has no projection row).
    private func notesAbout(_ db: Database, subjectID: String) throws -> [String] {
        var ids = try String.fetchAll(db, sql: "SELECT id FROM note WHERE subjectID = ?", arguments: [subjectID])
        let queued = try String.fetchAll(
            db, sql: "SELECT id FROM outbox WHERE collection = ? ORDER BY seq", arguments: [Collection.notes])
        for id in queued where !ids.contains(id) {
            if try loadRecord(db, collection: Collection.notes, id: id)?.string("subject") == subjectID {
                ids.append(id)
            }
        }
        return ids
    }

    /// The records kept aside when access to them ended while they held unpushed changes, oldest first.
    public func setAsideRecords() throws -> [SetAsideRecord] {
        try read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT collection, id, state, setAsideAt, reason FROM set_aside ORDER BY rowid")
            return try rows.map { row in
                let record = try RecordCoding.decode(row["state"] as Data)
                var values: [String: String] = [:]
                for (field, value) in record.values { values[field] = Self.display(value) }
                if record.collection == Collection.notes, let subjectID = record.string("subject") {
                    // The subject may be gone too; its reference is kept only if the device still knows it.
                    let reference =
                        try String.fetchOne(
                            db, sql: "SELECT reference FROM subject WHERE id = ?", arguments: [subjectID])
                        ?? Self.setAsideReference(db, subjectID: subjectID)
                    if let reference { values["subjectReference"] = reference }
                }
                return SetAsideRecord(
                    collection: row["collection"], id: row["id"],
                    setAsideAt: Date(timeIntervalSince1970: Double(row["setAsideAt"] as Int64) / 1000),
                    reason: row["reason"], deleted: record.isDeleted, values: values)
            }
        }
    }

    /// A subject's reference from a subject that was set aside with it, if any.
    private static func setAsideReference(_ db: Database, subjectID: String) -> String? {
        guard
            let data = try? Data.fetchOne(
                db, sql: "SELECT state FROM set_aside WHERE collection = ? AND id = ? ORDER BY rowid DESC LIMIT 1",
                arguments: [Collection.subjects, subjectID]),
            let record = try? RecordCoding.decode(data)
        else { return nil }
        return record.string("reference")
    }

    /// How many records are kept aside.
    func setAsideCount(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM set_aside") ?? 0
    }
}
