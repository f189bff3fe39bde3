import Foundation
import GRDB

/// The readable summary of one young person's course, which they are entitled to see.
///
/// The store gathers what was written; the words the young person reads (in their language, without internal
/// codes) are the client's (fieldcli's `SubjectExport+Markdown.swift`).
public struct SubjectExport: Codable, Equatable, Sendable {
    /// The subject the export is about.
    public var subject: Subject
    /// Other subjects with the same reference, not merged yet (created on different devices): their notes are in
    /// `notes` too, and their own values are part of what was written about the young person.
    public var duplicates: [Subject] = []
    /// The notes, oldest first, as a course is read.
    public var notes: [Note]
    /// When the export was made.
    public var exportedAt: Date
    /// Note kinds as recorded, by note id, where this version does not know them (written by a newer client):
    /// ``Note/kind`` then holds a stand-in, and a reader must be shown the recorded word, not the stand-in.
    public var recordedKinds: [String: String] = [:]
    /// Subject statuses as recorded, by subject id, where this version does not know them (as `recordedKinds`).
    public var recordedStatuses: [String: String] = [:]

    /// The kind of `note` as it was recorded: a ``NoteKind`` raw value, or a word this version does not know.
    public func recordedKind(of note: Note) -> String { recordedKinds[note.id] ?? note.kind.rawValue }

    /// The status of `subject` as it was recorded: a ``SubjectStatus`` raw value, or a word this version does not
    /// know.
    public func recordedStatus(of subject: Subject) -> String {
        recordedStatuses[subject.id] ?? subject.status.rawValue
    }
}

extension LocalStore {
    /// Everything the store holds about one subject, for the young person to read: with duplicates of it not yet
    /// merged, all of them and all their notes; notes about a subject merged into it included.
    public func export(subjectReference: String) throws -> SubjectExport {
        let subjects = try self.subjects(reference: subjectReference)
        let notes = try self.notes(NoteQuery(subjectReference: subjectReference)).reversed()
        var export = SubjectExport(
            subject: subjects[0], duplicates: Array(subjects.dropFirst()), notes: Array(notes), exportedAt: Date())
        let (kinds, statuses) = try read { db in
            (
                try Self.unknownValues(db, table: "note", column: "kind", known: NoteKind.allCases.map(\.rawValue)),
                try Self.unknownValues(
                    db, table: "subject", column: "status", known: SubjectStatus.allCases.map(\.rawValue))
            )
        }
        let noteIDs = Set(export.notes.map(\.id))
        let subjectIDs = Set(subjects.map(\.id))
        export.recordedKinds = kinds.filter { noteIDs.contains($0.key) }
        export.recordedStatuses = statuses.filter { subjectIDs.contains($0.key) }
        return export
    }

    /// The rows of `table` whose `column` holds none of the `known` values: id → value (usually none at all).
    private static func unknownValues(
        _ db: Database, table: String, column: String, known: [String]
    ) throws -> [String: String] {
        let placeholders = Array(repeating: "?", count: known.count).joined(separator: ",")
        let rows = try Row.fetchAll(
            db, sql: "SELECT id, \(column) AS value FROM \(table) WHERE \(column) NOT IN (\(placeholders))",
            arguments: StatementArguments(known))
        let pairs = rows.map { (row: Row) in (row["id"] as String, row["value"] as String) }
        return Dictionary(pairs) { first, _ in first }
    }
}
