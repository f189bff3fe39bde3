import Foundation
import GRDB
import SyncProtocol

/// One candidate value of a field in conflict.
public struct ConflictCandidate: Codable, Equatable, Sendable {
    /// The replica that wrote it.
    public var replica: String
    /// Whether this device wrote it.
    public var mine: Bool
    /// The value as text (tags comma-separated, timestamps ISO 8601, empty for a cleared field).
    public var value: String
    /// The adviser whose device wrote it, when known (this device, or the saved team directory).
    public var adviser: String? = nil
    /// The name of the device that wrote it, when known.
    public var device: String? = nil
}

/// A field written concurrently on several devices, with every value kept.
public struct FieldConflict: Codable, Equatable, Sendable {
    /// The field's name in the record, e.g. `body` or `tags`.
    public var field: String
    /// Every value written concurrently, in the order ``ConflictChoice/candidate(_:)`` counts them.
    public var candidates: [ConflictCandidate]
}

/// A record a person must look at: concurrent edits that did not merge, or a delete that met an edit.
public struct RecordConflict: Codable, Equatable, Sendable {
    /// The record's id.
    public var id: String
    /// `notes` or `subjects`.
    public var collection: String
    /// The subject's reference (for a note, its subject's).
    public var subjectReference: String
    /// The fields in conflict.
    public var fields: [FieldConflict]
    /// The record was deleted on one device while edited on another; the edit kept it alive.
    public var deletedElsewhere: Bool
}

/// How to settle a field conflict.
public enum ConflictChoice: Sendable, Equatable {
    /// Keep the candidate at this index (0-based, in the order `conflicts()` lists them).
    case candidate(Int)
    /// Keep this device's value.
    case mine
    /// Keep the other device's value (there must be exactly one other).
    case theirs
    /// Write this text (e.g. merged by hand).
    case text(String)
}

extension LocalStore {
    /// Every record in conflict, notes first, then subjects.
    public func conflicts() throws -> [RecordConflict] {
        try read { db in
            let ids = try Row.fetchAll(
                db,
                sql: """
                    SELECT 'notes' AS collection, id FROM note WHERE hasConflict
                    UNION ALL SELECT 'subjects', id FROM subject WHERE hasConflict
                    """)
            let directory = try loadTeamDirectory(db)
            return try ids.compactMap { row in
                guard let record = try loadRecord(db, collection: row["collection"], id: row["id"]) else {
                    return nil
                }
                return try describeConflict(db, record, directory: directory)
            }
        }
    }

    /// The conflicts of one record (by id or unique prefix).
    public func conflict(id: String) throws -> RecordConflict {
        try read { db in
            let record = try loadConflicted(db, id: id)
            return try describeConflict(db, record, directory: try loadTeamDirectory(db))
        }
    }

    /// Settles a field conflict with a value that covers every candidate, so every device settles on it.
    @discardableResult
    public func resolve(id: String, field: String?, choice: ConflictChoice) throws -> RecordConflict? {
        try write { db in
            let record = try loadConflicted(db, id: id)
            let conflicts = try describeConflict(db, record).fields
            guard
                let conflict = field.map({ name in conflicts.first { $0.field == name } })
                    ?? (conflicts.count == 1 ? conflicts.first : nil)
            else {
                guard !conflicts.isEmpty else {
                    throw LocalStoreError.invalidInput("no field is in conflict, only a deletion: keep or delete it")
                }
                let names = conflicts.map(\.field).joined(separator: ", ")
                throw LocalStoreError.invalidInput(
                    field.map { "field '\($0)' is not in conflict (in conflict: \(names))" }
                        ?? "several fields are in conflict (\(names)): name one with --field")
            }
            guard case .field(_, let writes)? = record.conflicts.first(where: { $0.fieldName == conflict.field })
            else { throw LocalStoreError.invalidInput("field '\(conflict.field)' is not in conflict") }
            let value: FieldValue
            switch choice {
            case .candidate(let index):
                guard writes.indices.contains(index) else {
                    throw LocalStoreError.invalidInput("choose a candidate from 1 to \(writes.count)")
                }
                value = writes[index].value
            case .mine:
                let own = ownReplicaIDs
                guard let mine = writes.first(where: { own.contains($0.dot.replica) }) else {
                    throw LocalStoreError.invalidInput("this device wrote none of the values of '\(conflict.field)'")
                }
                value = mine.value
            case .theirs:
                let own = ownReplicaIDs
                let theirs = writes.filter { !own.contains($0.dot.replica) }
                guard theirs.count == 1 else {
                    throw LocalStoreError.invalidInput("there is not exactly one other value: choose by number")
                }
                value = theirs[0].value
            case .text(let text):
                let type = Schemas.all[record.collection]?[conflict.field]?.type
                switch type {
                case .text?: value = .text(text)
                case .string?, nil: value = .string(text)
                default:
                    throw LocalStoreError.invalidInput("'\(conflict.field)' is not a text field: choose a candidate")
                }
            }
            let resolved = record.resolving(field: conflict.field, with: value, by: replicaID)
            try saveRecord(db, resolved, local: true)
            guard resolved.isInConflict else { return nil }
            return try describeConflict(db, resolved, directory: try loadTeamDirectory(db))
        }
    }

    /// Settles a delete-versus-edit conflict: keep the record, or delete it after all.
    ///
    /// - Throws: `LocalStoreError.invalidInput` when the record's conflicts are only fields (nobody deleted it).
    public func resolveDeletion(id: String, keep: Bool) throws {
        try write { db in
            let record = try loadConflicted(db, id: id)
            // A record in a field conflict only must not be deleted (or rewritten) by settling a deletion.
            guard record.conflicts.contains(where: { $0.fieldName == nil }) else {
                throw LocalStoreError.invalidInput("the record was not deleted on another device: settle its fields")
            }
            try saveRecord(db, record.resolvingDeleteConflict(keep: keep, by: replicaID), local: true)
        }
    }

    // MARK: Helpers

    private func loadConflicted(_ db: Database, id: String) throws -> SyncRecord {
        let cleaned = id.lowercased()
        let matches = try Row.fetchAll(
            db,
            sql: """
                SELECT collection, id FROM record WHERE id >= ? AND id < ? ORDER BY id LIMIT 6
                """,
            arguments: [cleaned, cleaned + "\u{FFFF}"])
        guard !matches.isEmpty else { throw LocalStoreError.notFound(kind: "record", id: id) }
        guard matches.count == 1 else {
            throw LocalStoreError.ambiguousID(prefix: id, matches: matches.map { $0["id"] as String })
        }
        guard let record = try loadRecord(db, collection: matches[0]["collection"], id: matches[0]["id"]),
            record.isInConflict
        else { throw LocalStoreError.notFound(kind: "conflict", id: id) }
        return record
    }

    private func describeConflict(
        _ db: Database, _ record: SyncRecord, directory: TeamDirectory? = nil
    ) throws -> RecordConflict {
        var fields: [FieldConflict] = []
        var deletedElsewhere = false
        let own = ownReplicaIDs
        for conflict in record.conflicts {
            switch conflict {
            case .field(let name, let writes):
                fields.append(
                    FieldConflict(
                        field: name,
                        candidates: writes.map { write in
                            let mine = own.contains(write.dot.replica)
                            // This device knows its own names; other writers are named by the team's directory.
                            let writer = mine ? nil : directory?.device(replica: write.dot.replica)
                            return ConflictCandidate(
                                replica: write.dot.replica.rawValue, mine: mine, value: Self.display(write.value),
                                adviser: mine ? adviser : writer?.adviser, device: mine ? deviceName : writer?.device)
                        }))
            case .deleteVersusEdit:
                deletedElsewhere = true
            }
        }
        let subjectID = record.collection == Collection.notes ? record.string("subject") ?? "" : record.id
        // A note about a subject merged into another is shown under the kept subject (merge.md).
        let reference =
            try String.fetchOne(
                db,
                sql: """
                    SELECT reference FROM subject WHERE id = COALESCE((SELECT keptID FROM subject_fold WHERE id = ?1), ?1)
                    """,
                arguments: [subjectID]) ?? subjectID
        return RecordConflict(
            id: record.id, collection: record.collection, subjectReference: reference, fields: fields,
            deletedElsewhere: deletedElsewhere)
    }

    static func display(_ value: FieldValue) -> String {
        switch value {
        case .text(let text), .string(let text), .reference(let text): return text
        case .integer(let number): return String(number)
        case .decimal(let decimal): return "\(decimal)"
        case .bool(let flag): return flag ? "yes" : "no"
        case .timestamp(let time): return time.description
        case .tags(let tags): return tags.sorted().joined(separator: ",")
        case .null: return ""
        }
    }
}
