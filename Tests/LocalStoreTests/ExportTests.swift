import Foundation
import LocalStore
import SyncProtocol
import Testing

/// The export keeps what was recorded: a kind or status this version does not know (written by a newer client) is
/// exported as it was written, never as the stand-in the model holds.
@Suite("Export")
struct ExportTests {
    @Test func unknownKindsAndStatusesAreExportedAsRecorded() async throws {
        let (dirA, dirB) = (try TemporaryDirectory("export-a"), try TemporaryDirectory("export-b"))
        let newer = try makeStore(dirA, adviser: "mette")
        defer { newer.close() }
        let older = try makeStore(dirB, adviser: "lars")
        defer { older.close() }
        try newer.addSubject(NewSubject(reference: "ung-8", displayName: "Amal"))
        let known = try newer.addNote(NewNote(subjectReference: "ung-8", kind: .walk, body: "Walked to school"))
        let unknown = try newer.addNote(NewNote(subjectReference: "ung-8", kind: .phone, body: "Mentor called"))

        // What a newer client would write: a kind and a status this version has no case for.
        let client = try ReplicaID("newer-client")
        let records = try await newer.pendingChanges(after: nil, limit: 100).map(\.record).map { record in
            if record.id == unknown.id { return record.updating(["kind": .string("mentor-meeting")], by: client) }
            if record.collection == "subjects" {
                return record.updating(["status": .string("in-apprenticeship")], by: client)
            }
            return record
        }
        _ = try await older.apply(page: PullPage(records: records, nextCursor: "1", more: false))

        let export = try older.export(subjectReference: "ung-8")
        let exportedUnknown = try #require(export.notes.first { $0.id == unknown.id })
        let exportedKnown = try #require(export.notes.first { $0.id == known.id })
        #expect(export.recordedKind(of: exportedUnknown) == "mentor-meeting")
        #expect(export.recordedKind(of: exportedKnown) == "walk")
        #expect(export.recordedKinds == [unknown.id: "mentor-meeting"])
        #expect(export.recordedStatus(of: export.subject) == "in-apprenticeship")
    }
}
