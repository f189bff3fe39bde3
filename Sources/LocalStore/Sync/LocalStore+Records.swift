import Foundation
import GRDB
import SyncProtocol

/// SyncProtocol's record; GRDB has a `Record` class of its own.
typealias SyncRecord = SyncProtocol.Record

/// The collections this store holds, named as in `SyncProtocol.Schemas`.
enum Collection {
    static let subjects = Schemas.subjects.collection
    static let notes = Schemas.notes.collection
}

/// Coding of causal record states as stored in the `record` table: the protocol's canonical wire form, read
/// back with its strict scanner (the fast path; a stored state is checked like one from the network).
enum RecordCoding {
    static func encode(_ record: SyncRecord) throws -> Data {
        try WireCoding.encode(record)
    }

    static func decode(_ data: Data) throws -> SyncRecord {
        do {
            return try WireCoding.decode(SyncRecord.self, from: data)
        } catch {
            throw LocalStoreError.damaged("a stored record cannot be read: \(error)")
        }
    }
}

extension LocalStore {
    /// A new random record id: 32 lowercase hex digits, so any unique prefix can name it.
    static func newRecordID() -> String {
        let hex = Array("0123456789abcdef".utf8)
        var id: [UInt8] = []
        id.reserveCapacity(32)
        withUnsafeBytes(of: UUID().uuid) { bytes in
            for byte in bytes {
                id.append(hex[Int(byte >> 4)])
                id.append(hex[Int(byte & 0x0f)])
            }
        }
        return String(decoding: id, as: UTF8.self)
    }

    /// The stored causal state of a record, if any.
    func loadRecord(_ db: Database, collection: String, id: String) throws -> SyncRecord? {
        let statement = try db.cachedStatement(sql: "SELECT state FROM record WHERE collection = ? AND id = ?")
        guard let data = try Data.fetchOne(statement, arguments: [collection, id]) else { return nil }
        return try RecordCoding.decode(data)
    }

    /// Saves a record's causal state, refreshes its query projection and, for a local write, queues it for
    /// push — all in the caller's transaction, so a write and its outbox entry commit together.
    ///
    /// `isNew` says the store held no state for this record, so it has no projection rows to replace either.
    func saveRecord(_ db: Database, _ record: SyncRecord, local: Bool, isNew: Bool = false) throws {
        // Cached statements: a pulled page saves a thousand records, and preparing each statement again cost more
        // than running it.
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO record (collection, id, state) VALUES (?, ?, ?)")
            .execute(arguments: [record.collection, record.id, try RecordCoding.encode(record)])
        try project(db, record, isNew: isNew)
        if local {
            // A new sequence number for a record changed again: a push in flight acknowledges only the older one.
            try db.cachedStatement(sql: "DELETE FROM outbox WHERE collection = ? AND id = ?")
                .execute(arguments: [record.collection, record.id])
            try db.cachedStatement(sql: "INSERT INTO outbox (collection, id) VALUES (?, ?)")
                .execute(arguments: [record.collection, record.id])
        }
    }

    /// Rebuilds the query rows of one record from its causal state.
    func project(_ db: Database, _ record: SyncRecord, isNew: Bool) throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        switch record.collection {
        case Collection.subjects:
            try projectSubjectFold(db, record)
            try projectSubject(db, record, now: now)
        case Collection.notes:
            try projectNote(db, record, now: now, isNew: isNew)
        default:
            // Collections this app does not show are kept and synced but not projected.
            break
        }
    }

    private func projectSubject(_ db: Database, _ record: SyncRecord, now: Int64) throws {
        subjectWordsCache[record.id] = nil
        // The kept subject of a cycle of merges stays, although the opposite merge deleted it (merge.md).
        guard !record.isPurged, try !record.isDeleted || isKeptDespiteDeletion(db, subjectID: record.id) else {
            try db.execute(sql: "DELETE FROM subject WHERE id = ?", arguments: [record.id])
            return
        }
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO subject (id, reference, displayName, status, responsibleAdviser,
                    consentRecorded, consentAt, goals, nextStep, hasConflict, updatedAt,
                    scope, consent, consentLog, accessEnds)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                record.id, record.string("reference") ?? record.id, record.string("displayName") ?? "",
                record.string("status") ?? SubjectStatus.notEducationReady.rawValue,
                record.string("responsibleAdviser") ?? "", record.bool("consentRecorded") ?? false,
                record.timestamp("consentAt")?.millisecondsSince1970, record.string("goals") ?? "",
                record.string("nextStep") ?? "", record.isInConflict, now,
                Self.jsonArray(record.scopeTeams.sorted()), Self.jsonArray(record.consentTeams.sorted()),
                record.string(ScopeFields.consentLog) ?? "", Self.jsonArray(record.accessEnds.map(\.tag)),
            ])
        // The subject's reference and name are searchable through its notes.
        let searchText = Self.subjectSearchText(
            reference: record.string("reference") ?? record.id, displayName: record.string("displayName") ?? "")
        let noteRows = try Row.fetchAll(db, sql: "SELECT rowid FROM note WHERE subjectID = ?", arguments: [record.id])
        for row in noteRows {
            let rowid: Int64 = row["rowid"]
            try db.cachedStatement(sql: "UPDATE note_fts SET subject = ? WHERE rowid = ?")
                .execute(arguments: [searchText, rowid])
        }
    }

    /// What a note's `subject` search column holds: its subject's reference and name.
    static func subjectSearchText(reference: String, displayName: String) -> String {
        displayName.isEmpty || displayName == reference ? reference : reference + " " + displayName
    }

    /// The search text of a live subject, read from its projection (no record decoding), or "" if there is none;
    /// for a subject merged into another, the kept subject's.
    /// Remembered for the rest of the transaction: a pulled page holds hundreds of notes about a few subjects.
    private func subjectSearchText(_ db: Database, subjectID: String) throws -> String {
        if let cached = subjectWordsCache[subjectID] { return cached }
        let statement = try db.cachedStatement(
            sql: """
                SELECT reference, displayName FROM subject
                WHERE id = COALESCE((SELECT keptID FROM subject_fold WHERE id = ?1), ?1)
                """)
        let text =
            try Row.fetchOne(statement, arguments: [subjectID]).map {
                Self.subjectSearchText(reference: $0[0], displayName: $0[1])
            } ?? ""
        subjectWordsCache[subjectID] = text
        return text
    }

    private func projectNote(_ db: Database, _ record: SyncRecord, now: Int64, isNew: Bool) throws {
        let existing =
            isNew
            ? nil
            : try Int64.fetchOne(db.cachedStatement(sql: "SELECT rowid FROM note WHERE id = ?"), arguments: [record.id])
        if let existing {
            try db.cachedStatement(sql: "DELETE FROM note_fts WHERE rowid = ?").execute(arguments: [existing])
        }
        guard !record.isDeleted, !record.isPurged else {
            try db.execute(sql: "DELETE FROM note WHERE id = ?", arguments: [record.id])
            return
        }
        let subjectID = record.string("subject") ?? ""
        let tags = (record.value("tags")?.tagsValue ?? []).sorted()
        let tagsJSON = Self.jsonArray(tags)
        let body = record.string("body") ?? ""
        let place = record.string("place") ?? ""
        let arguments: StatementArguments = [
            subjectID, record.string("kind") ?? NoteKind.informal.rawValue,
            record.timestamp("occurredAt")?.millisecondsSince1970 ?? now, place, body, tagsJSON,
            record.timestamp("followUp")?.millisecondsSince1970,
            record.timestamp("followUpDone")?.millisecondsSince1970, record.string("author") ?? "",
            record.string("device") ?? "", record.isInConflict, now, record.id,
        ]
        let rowid: Int64
        if let existing {
            try db.cachedStatement(
                sql: """
                    UPDATE note SET subjectID = ?, kind = ?, occurredAt = ?, place = ?, body = ?, tags = ?,
                        followUp = ?, followUpDone = ?, author = ?, device = ?, hasConflict = ?, updatedAt = ?
                    WHERE id = ?
                    """
            ).execute(arguments: arguments)
            rowid = existing
        } else {
            try db.cachedStatement(
                sql: """
                    INSERT INTO note (subjectID, kind, occurredAt, place, body, tags, followUp, followUpDone,
                        author, device, hasConflict, updatedAt, id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: arguments)
            rowid = db.lastInsertedRowID
        }
        try db.cachedStatement(sql: "INSERT INTO note_fts (rowid, body, tags, place, subject) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [
                rowid, body, tags.joined(separator: " "), place, try subjectSearchText(db, subjectID: subjectID),
            ])
    }

    /// The strings of a JSON array column (``jsonArray(_:)``); none for a missing or unreadable value.
    static func stringArray(json: String?) -> [String] {
        guard let json, json != "[]" else { return [] }
        return (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }

    /// A JSON array of strings, as the `note.tags` column holds it (read back with SQLite's `json_each`).
    static func jsonArray(_ strings: [String]) -> String {
        var json = "["
        for (index, string) in strings.enumerated() {
            if index > 0 { json += "," }
            json += "\""
            for scalar in string.unicodeScalars {
                switch scalar {
                case "\"": json += "\\\""
                case "\\": json += "\\\\"
                case _ where scalar.value < 0x20: json += String(format: "\\u%04x", scalar.value)
                default: json.unicodeScalars.append(scalar)
                }
            }
            json += "\""
        }
        return json + "]"
    }
}

extension SyncRecord {
    /// The shown value of a text-like field, if set.
    func string(_ field: String) -> String? { value(field)?.stringValue }

    /// The shown value of a boolean field, if set.
    func bool(_ field: String) -> Bool? {
        if case .bool(let flag)? = value(field) { return flag }
        return nil
    }

    /// The shown value of a timestamp field, if set.
    func timestamp(_ field: String) -> Timestamp? {
        if case .timestamp(let time)? = value(field) { return time }
        return nil
    }
}
