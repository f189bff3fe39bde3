import Foundation
import GRDB
import SyncProtocol

extension LocalStore {
    /// Writes a note and queues it for sync, in one transaction.
    ///
    /// - Throws: `LocalStoreError.notFound` if the subject does not exist; `.invalidInput` for an empty text.
    @discardableResult
    public func addNote(_ new: NewNote) throws -> Note {
        try write { db in
            let id = try insertNote(db, new, subject: resolveSubject(db, new.subjectReference))
            return try fetchNote(db, id: id)
        }
    }

    /// Writes many notes in one transaction (imports, benchmarks). Returns their ids in order.
    @discardableResult
    public func addNotes(_ notes: [NewNote]) throws -> [String] {
        try bulkWrite { db in
            var subjects: [String: Subject] = [:]
            return try notes.map { new in
                let subject = try subjects[new.subjectReference] ?? resolveSubject(db, new.subjectReference)
                subjects[new.subjectReference] = subject
                return try insertNote(db, new, subject: subject)
            }
        }
    }

    private func insertNote(_ db: Database, _ new: NewNote, subject: Subject) throws -> String {
        guard Self.hasText(new.body) else {
            throw LocalStoreError.invalidInput("a note needs some text")
        }
        try requireReadableSubject(db, subject)
        var values: [String: FieldValue] = [
            "subject": .reference(subject.id),
            "kind": .string(new.kind.rawValue),
            "occurredAt": .timestamp(Timestamp(new.occurredAt)),
            "body": .text(new.body),
            "author": .string(adviser),
            "device": .string(deviceName),
        ]
        if !new.place.isEmpty { values["place"] = .string(new.place) }
        let tags = try Self.normalizedTags(new.tags)
        if !tags.isEmpty { values["tags"] = .tags(tags) }
        if let followUp = new.followUp { values["followUp"] = .timestamp(Timestamp(followUp)) }
        let record = try SyncRecord.create(
            collection: Collection.notes, id: Self.newRecordID(), values: values, by: replicaID, schema: Schemas.notes)
        try saveRecord(db, record, local: true, isNew: true)
        return record.id
    }

    /// The notes matching `query`, newest first.
    public func notes(_ query: NoteQuery = NoteQuery()) throws -> [Note] {
        try read { db in
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let reference = query.subjectReference {
                // Every duplicate the reference names, and every subject merged into one of them.
                let ids = try noteSubjectIDs(db, shownUnder: try resolveSubjects(db, reference).map(\.id))
                clauses.append("note.subjectID IN (\(Array(repeating: "?", count: ids.count).joined(separator: ",")))")
                _ = arguments.append(contentsOf: StatementArguments(ids))
            }
            if let tag = query.tag {
                clauses.append("EXISTS (SELECT 1 FROM json_each(note.tags) WHERE json_each.value = ?)")
                _ = arguments.append(contentsOf: [tag.lowercased()])
            }
            if let kind = query.kind {
                clauses.append("note.kind = ?")
                _ = arguments.append(contentsOf: [kind.rawValue])
            }
            if let since = query.since {
                clauses.append("note.occurredAt >= ?")
                _ = arguments.append(contentsOf: [Timestamp(since).millisecondsSince1970])
            }
            if let until = query.until {
                clauses.append("note.occurredAt <= ?")
                _ = arguments.append(contentsOf: [Timestamp(until).millisecondsSince1970])
            }
            let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            let limit = query.limit.map { " LIMIT \(max(0, $0))" } ?? ""
            return try Row.fetchAll(
                db, sql: "\(Self.noteSelect) \(filter) ORDER BY note.occurredAt DESC, note.id\(limit)",
                arguments: arguments
            ).map(Note.init(row:))
        }
    }

    /// The note with this id or unique id prefix.
    public func note(id: String) throws -> Note {
        try read { db in try fetchNote(db, id: resolveID(db, table: "note", kind: "note", prefix: id)) }
    }

    /// Changes a note and queues it for sync. Unchanged fields keep their history, so a colleague's concurrent
    /// change to another field merges cleanly.
    @discardableResult
    public func editNote(id: String, _ changes: NoteChanges) throws -> Note {
        try write { db in
            let record = try liveNoteRecord(db, prefix: id)
            let fullID = record.id
            var values: [String: FieldValue] = [:]
            if let kind = changes.kind { values["kind"] = .string(kind.rawValue) }
            if let occurredAt = changes.occurredAt { values["occurredAt"] = .timestamp(Timestamp(occurredAt)) }
            if let place = changes.place { values["place"] = .string(place) }
            let current = record.string("body") ?? ""
            var body = changes.body ?? current
            if let edited = changes.body, let base = changes.bodyBase, base != current {
                guard let merged = ThreeWayMerge.merge(base: base, ours: edited, theirs: current) else {
                    throw LocalStoreError.changedMeanwhile(id: fullID, current: current)
                }
                body = merged
            }
            if let append = changes.append, !append.isEmpty {
                body = body.isEmpty ? append : body + "\n\n" + append
            }
            if changes.body != nil || changes.append != nil {
                guard Self.hasText(body) else {
                    throw LocalStoreError.invalidInput("a note needs some text")
                }
                values["body"] = .text(body)
            }
            // Tags are added and removed as tag operations, not by writing the whole set: an add (also of a tag
            // already there) then wins over a colleague's concurrent removal, as merge.md's add-wins set says.
            let added = Set(try Self.normalizedTags(changes.addTags))
            let removed = Set(changes.removeTags.map { $0.lowercased() }).subtracting(added)
                .intersection(record.value("tags")?.tagsValue ?? [])
            if let followUp = changes.followUp {
                values["followUp"] = followUp.map { .timestamp(Timestamp($0)) } ?? .null
            }
            var updated = record
            if !values.isEmpty { updated = updated.updating(values, by: replicaID) }
            if !added.isEmpty { updated = updated.addingTags(added, to: "tags", by: replicaID) }
            if !removed.isEmpty { updated = updated.removingTags(removed, from: "tags", by: replicaID) }
            if updated != record {
                try saveRecord(db, updated, local: true)
            }
            return try fetchNote(db, id: fullID)
        }
    }

    /// Deletes a note (a tombstone that syncs). Returns the full id.
    @discardableResult
    public func deleteNote(id: String) throws -> String {
        try write { db in
            let record = try liveNoteRecord(db, prefix: id)
            try saveRecord(db, record.deleting(by: replicaID), local: true)
            return record.id
        }
    }

    /// Undoes the deletion of a note (a new write that syncs like any edit). Returns the restored note.
    ///
    /// - Throws: `LocalStoreError.notFound` when no deleted note has this id or prefix, `.invalidInput` when
    ///   the note was erased (purged: its content is gone everywhere).
    public func restoreNote(id: String) throws -> Note {
        try write { db in
            let cleaned = id.lowercased()
            guard !cleaned.isEmpty, cleaned.count <= 64, cleaned.allSatisfy(\.isHexDigit) else {
                throw LocalStoreError.notFound(kind: "deleted note", id: id)
            }
            var deleted: [SyncRecord] = []
            for candidate in try String.fetchAll(
                db, sql: "SELECT id FROM record WHERE collection = ? AND id >= ? AND id < ? ORDER BY id LIMIT 50",
                arguments: [Collection.notes, cleaned, cleaned + "\u{FFFF}"])
            {
                if let record = try loadRecord(db, collection: Collection.notes, id: candidate),
                    record.isDeleted || record.isPurged
                {
                    deleted.append(record)
                }
            }
            guard let record = deleted.first else { throw LocalStoreError.notFound(kind: "deleted note", id: id) }
            guard deleted.count == 1 else {
                throw LocalStoreError.ambiguousID(prefix: id, matches: deleted.map(\.id))
            }
            guard !record.isPurged else {
                throw LocalStoreError.invalidInput("that note was erased (purged) and cannot be restored")
            }
            try saveRecord(db, record.restoring(by: replicaID), local: true)
            return try fetchNote(db, id: record.id)
        }
    }

    // MARK: Helpers

    /// The causal state of the live note with this id or unique id prefix.
    func liveNoteRecord(_ db: Database, prefix: String) throws -> SyncRecord {
        let fullID = try resolveID(db, table: "note", kind: "note", prefix: prefix)
        guard let record = try loadRecord(db, collection: Collection.notes, id: fullID) else {
            throw LocalStoreError.notFound(kind: "note", id: prefix)
        }
        return record
    }

    /// A note's row with its subject's reference; a note about a subject merged into another is shown under the
    /// kept subject (`keptSubjectID`, merge.md "Duplicate subjects").
    static let noteSelect = """
        SELECT note.*, COALESCE(fold.keptID, note.subjectID) AS keptSubjectID, subject.reference AS subjectReference
        FROM note
        LEFT JOIN subject_fold AS fold ON fold.id = note.subjectID
        LEFT JOIN subject ON subject.id = COALESCE(fold.keptID, note.subjectID)
        """

    func fetchNote(_ db: Database, id: String) throws -> Note {
        guard let row = try Row.fetchOne(db, sql: "\(Self.noteSelect) WHERE note.id = ?", arguments: [id]) else {
            throw LocalStoreError.notFound(kind: "note", id: id)
        }
        return try Note(row: row)
    }

    /// Whether `text` holds anything but white space. (Foundation's trimming copies the whole text through
    /// UTF-16 on Linux, which cost more than writing the note.)
    static func hasText(_ text: String) -> Bool {
        text.unicodeScalars.contains { !$0.properties.isWhitespace }
    }

    /// Tags are lowercase words without spaces or commas, so `--tag Housing` and `--tag housing` are one tag.
    static func normalizedTags(_ tags: [String]) throws -> Set<String> {
        var result = Set<String>()
        for tag in tags {
            let cleaned = tag.trimmingCharacters(in: .whitespaces).lowercased()
            guard !cleaned.isEmpty, cleaned.count <= 64, !cleaned.contains(where: { $0.isWhitespace || $0 == "," })
            else {
                throw LocalStoreError.invalidInput("a tag must be one word of 1–64 characters, not '\(tag)'")
            }
            result.insert(cleaned)
        }
        return result
    }
}

extension Note {
    init(row: Row) throws {
        id = row["id"]
        subjectID = row["keptSubjectID"] ?? row["subjectID"]
        subjectReference = row["subjectReference"] ?? subjectID
        kind = NoteKind(rawValue: row["kind"]) ?? .informal
        occurredAt = Date(timeIntervalSince1970: Double(row["occurredAt"] as Int64) / 1000)
        place = row["place"]
        body = row["body"]
        let tagsJSON: String = row["tags"]
        tags = (try? JSONDecoder().decode([String].self, from: Data(tagsJSON.utf8))) ?? []
        followUp = (row["followUp"] as Int64?).map { Date(timeIntervalSince1970: Double($0) / 1000) }
        author = row["author"]
        device = row["device"]
        hasConflict = row["hasConflict"]
        updatedAt = Date(timeIntervalSince1970: Double(row["updatedAt"] as Int64) / 1000)
    }
}
