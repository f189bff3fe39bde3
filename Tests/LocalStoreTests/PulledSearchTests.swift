import Foundation
import LocalStore
import SyncProtocol
import Testing

/// Notes pulled in one page are searchable by their subject's current reference and name, whatever order the
/// page lists subjects and notes in (the store remembers subjects' search words within a transaction).
@Suite("Search after a pull")
struct PulledSearchTests {
    /// The current state of every record `store` has queued, those of collection `first` first.
    static func page(from store: LocalStore, cursor: String, first: String) async throws -> PullPage {
        let records = try await store.pendingChanges(after: nil, limit: 1_000).map(\.record)
        let ordered = records.filter { $0.collection == first } + records.filter { $0.collection != first }
        return PullPage(records: ordered, nextCursor: cursor, more: false)
    }

    @Test func subjectWordsFollowRenamesWithinAndAcrossPages() async throws {
        let (dirA, dirB) = (try TemporaryDirectory("search-a"), try TemporaryDirectory("search-b"))
        let mette = try makeStore(dirA, adviser: "mette")
        defer { mette.close() }
        let lars = try makeStore(dirB, adviser: "lars")
        defer { lars.close() }
        try mette.addSubject(NewSubject(reference: "ung-7", displayName: "Sofie"))
        for text in ["Walked to school", "Phoned the mentor", "Visited the workshop"] {
            try mette.addNote(NewNote(subjectReference: "ung-7", kind: .walk, body: text))
        }
        try mette.editSubject(reference: "ung-7", SubjectChanges(displayName: "Sofie Holm"))

        // Notes first, their subject last: the notes are projected before the store knows the subject.
        let notesFirst = try await Self.page(from: mette, cursor: "1", first: "notes")
        _ = try await lars.apply(page: notesFirst)
        #expect(try lars.search("Holm").count == 3)
        #expect(try lars.search("ung-7").count == 3)

        // A rename between two new notes in one page: the note before it is re-indexed by the rename, the one
        // after it must not reuse the old name looked up for the first.
        try mette.editSubject(reference: "ung-7", SubjectChanges(displayName: "Sofie Berg"))
        let before = try mette.addNote(NewNote(subjectReference: "ung-7", kind: .phone, body: "Confirmed Thursday"))
        let after = try mette.addNote(NewNote(subjectReference: "ung-7", kind: .sms, body: "Sent the address"))
        let queued = try await mette.pendingChanges(after: nil, limit: 1_000).map(\.record)
        let subject = try #require(queued.first { $0.collection == "subjects" })
        let first = try #require(queued.first { $0.id == before.id })
        let last = try #require(queued.first { $0.id == after.id })
        let middle = PullPage(records: [first, subject, last], nextCursor: "2", more: false)
        _ = try await lars.apply(page: middle)
        #expect(Set(try lars.search("Berg").map(\.note.id)).isSuperset(of: [before.id, after.id]))
        #expect(try lars.search("Berg").count == 5)
        #expect(try lars.search("Holm").isEmpty)

        // The subject first, then a new note: the note is indexed with the new name at once.
        try mette.editSubject(reference: "ung-7", SubjectChanges(displayName: "Sofie Lund"))
        try mette.addNote(NewNote(subjectReference: "ung-7", kind: .walk, body: "Met at the station"))
        let renameThenNote = try await Self.page(from: mette, cursor: "3", first: "subjects")
        _ = try await lars.apply(page: renameThenNote)
        #expect(try lars.search("Lund").count == 6)
        #expect(try lars.search("Berg").isEmpty)
        try lars.verifyIntegrity()
    }
}
