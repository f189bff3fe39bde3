import Foundation
import GRDB
import SyncProtocol

/// How two subjects' fields come together when one is merged into the other.
public struct SubjectFieldMerge: Codable, Equatable, Sendable {
    /// Fields the kept subject had no value for, which take the other subject's value.
    public var taken: [String] = []
    /// Text fields both subjects had, with different texts: the kept subject's field holds both texts.
    public var combined: [String] = []
    /// Fields both subjects had with different values: the kept subject's value stays, the other's is not taken
    /// (it stays readable in the folded subject's record; who may read a course is never widened by a merge).
    public var notTaken: [String] = []
}

/// What merging one subject into another does, before it is done (for a person to confirm).
public struct SubjectMergePlan: Codable, Equatable, Sendable {
    /// The subject that stays.
    public var keep: Subject
    /// The subject folded into `keep`.
    public var other: Subject
    /// The live notes shown under `other`, which move to `keep`.
    public var notesToMove: Int
    /// What happens to each field.
    public var fields: SubjectFieldMerge
}

/// What a merge did.
public struct SubjectMergeResult: Codable, Equatable, Sendable {
    /// The kept subject, as it is now.
    public var kept: Subject
    /// The id of the subject folded into it (now a tombstone with `mergedInto`).
    public var foldedID: String
    /// How many notes now name the kept subject.
    public var notesMoved: Int
    /// What happened to each field.
    public var fields: SubjectFieldMerge
}

extension LocalStore {
    /// Subjects that share a reference with another: one group per reference, each sorted by id (merge.md,
    /// "Duplicate subjects"). Two devices that each created the same young person offline end up here after a sync.
    public func duplicateSubjects() throws -> [[Subject]] {
        Dictionary(grouping: try subjects(), by: \.reference).values
            .filter { $0.count > 1 }
            .sorted { $0[0].reference < $1[0].reference }
    }

    /// What ``mergeSubjects(keep:other:)`` would do, without doing it.
    public func subjectMergePlan(keep: String, other: String) throws -> SubjectMergePlan {
        try read { db in
            let (keepSubject, otherSubject) = try mergePair(db, keep: keep, other: other)
            let (keepRecord, otherRecord) = try (subjectRecord(db, keepSubject.id), subjectRecord(db, otherSubject.id))
            let notes = try notesShownUnder(db, otherSubject.id).count
            return SubjectMergePlan(
                keep: keepSubject, other: otherSubject, notesToMove: notes,
                fields: Self.mergeFields(keep: keepRecord, other: otherRecord).fields)
        }
    }

    /// Folds the subject `other` into `keep` (ids, unique id prefixes, or references that name one subject), as
    /// writes of this device that sync like any edit:
    ///
    /// - every live note shown under `other` names `keep`;
    /// - `keep` takes `other`'s values where it has none; where both have text (goals, next step, consent log),
    ///   it holds both texts; other fields with different values keep `keep`'s value and are listed in
    ///   ``SubjectFieldMerge/notTaken`` (a merge never chooses silently between two people's values without
    ///   saying so, and never widens who reads the course);
    /// - `other` is deleted, with `mergedInto` naming `keep`, so notes written to it later on a device that has not
    ///   seen the merge are shown under `keep` everywhere.
    ///
    /// - Throws: `LocalStoreError.notFound` / `.ambiguousID`, `.invalidInput` when both name the same subject.
    @discardableResult
    public func mergeSubjects(keep: String, other: String) throws -> SubjectMergeResult {
        try write { db in
            let (keepSubject, otherSubject) = try mergePair(db, keep: keep, other: other)
            let (keepRecord, otherRecord) = try (subjectRecord(db, keepSubject.id), subjectRecord(db, otherSubject.id))
            let merge = Self.mergeFields(keep: keepRecord, other: otherRecord)
            if !merge.values.isEmpty {
                try saveRecord(
                    db, try keepRecord.updating(merge.values, by: replicaID, schema: Schemas.subjects), local: true)
            }
            let notes = try notesShownUnder(db, otherSubject.id)
            for id in notes {
                guard let note = try loadRecord(db, collection: Collection.notes, id: id) else { continue }
                try saveRecord(db, note.updating(["subject": .reference(keepSubject.id)], by: replicaID), local: true)
            }
            let folded = try otherRecord.updating(
                [ScopeFields.mergedInto: .reference(keepSubject.id)], by: replicaID, schema: Schemas.subjects)
            try saveRecord(db, folded.deleting(by: replicaID), local: true)
            return SubjectMergeResult(
                kept: try fetchSubject(db, id: keepSubject.id), foldedID: otherSubject.id, notesMoved: notes.count,
                fields: merge.fields)
        }
    }

    // MARK: Helpers

    /// The two subjects of a merge, each named on its own (a reference that names duplicates does not do).
    private func mergePair(_ db: Database, keep: String, other: String) throws -> (Subject, Subject) {
        func one(_ text: String) throws -> Subject {
            let subjects = try resolveSubjects(db, text)
            guard subjects.count == 1 else {
                let ids = subjects.map { String($0.id.prefix(8)) }.joined(separator: ", ")
                throw LocalStoreError.invalidInput("name each subject by its id: this reference names \(ids)")
            }
            return subjects[0]
        }
        let (keepSubject, otherSubject) = (try one(keep), try one(other))
        guard keepSubject.id != otherSubject.id else {
            throw LocalStoreError.invalidInput(
                "both name the same subject (\(keepSubject.id.prefix(8))): give two different subjects")
        }
        return (keepSubject, otherSubject)
    }

    private func subjectRecord(_ db: Database, _ id: String) throws -> SyncRecord {
        guard let record = try loadRecord(db, collection: Collection.subjects, id: id) else {
            throw LocalStoreError.notFound(kind: "subject", id: id)
        }
        return record
    }

    /// The live notes shown under a subject: its own and those of subjects folded into it.
    private func notesShownUnder(_ db: Database, _ subjectID: String) throws -> [String] {
        var ids: [String] = []
        for id in try noteSubjectIDs(db, shownUnder: [subjectID]) {
            ids += try String.fetchAll(db, sql: "SELECT id FROM note WHERE subjectID = ? ORDER BY id", arguments: [id])
        }
        return ids
    }

    /// The values `keep` takes from `other`, and which fields were taken, combined or not taken. A pure function
    /// of the two states, so a merge shown for confirmation is the merge that is written.
    static func mergeFields(
        keep: SyncRecord, other: SyncRecord
    ) -> (values: [String: FieldValue], fields: SubjectFieldMerge) {
        var values: [String: FieldValue] = [:]
        var fields = SubjectFieldMerge()
        // A display name equal to the reference is the default, not a name someone chose; no consent is no value.
        func value(_ record: SyncRecord, _ name: String) -> FieldValue? {
            guard let value = record.value(name) else { return nil }
            switch (name, value) {
            case ("displayName", .string(let text)) where text.isEmpty || text == record.string("reference"):
                return nil
            case (_, .text(let text)) where text.isEmpty, (_, .string(let text)) where text.isEmpty:
                return nil
            case ("consentRecorded", .bool(false)):
                return nil
            default:
                return value
            }
        }
        for spec in Schemas.subjects.fields where spec.name != ScopeFields.mergedInto {
            let mine = value(keep, spec.name)
            guard let theirs = value(other, spec.name), theirs != mine else { continue }
            switch (spec.type, mine) {
            case (.tags, _):
                // Who reads the course, what the young person agreed to, when access ends: decisions about
                // sharing, which a merge does not make for anyone.
                fields.notTaken.append(spec.name)
            case (_, nil) where spec.name != "reference":
                values[spec.name] = theirs
                fields.taken.append(spec.name)
            case (.text, .text(let text)?):
                guard let addition = theirs.textValue, !text.contains(addition) else { continue }
                values[spec.name] = .text(text.hasSuffix("\n") ? text + "\n" + addition : text + "\n\n" + addition)
                fields.combined.append(spec.name)
            default:
                fields.notTaken.append(spec.name)
            }
        }
        return (values, fields)
    }
}
