import Foundation
import LocalStore
import Testing

@Suite("Notes and subjects")
struct NotesTests {
    @Test func notesAreListedFilteredAndEdited() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        try store.addSubject(NewSubject(reference: "ung-1"))
        try store.addSubject(NewSubject(reference: "ung-2"))
        let day: TimeInterval = 86_400
        let base = Date(timeIntervalSince1970: 1_790_000_000)
        let first = try store.addNote(
            NewNote(
                subjectReference: "ung-1", kind: .walk, occurredAt: base, place: "harbour",
                body: "Talked about housing",
                tags: ["Housing"]))
        try store.addNote(
            NewNote(
                subjectReference: "ung-2", kind: .phone, occurredAt: base + day, body: "Called about school",
                tags: ["education-ready"]))
        try store.addNote(
            NewNote(
                subjectReference: "ung-1", kind: .homeVisit, occurredAt: base + 2 * day, body: "Visited at home"))

        #expect(try store.notes().map(\.body) == ["Visited at home", "Called about school", "Talked about housing"])
        #expect(try store.notes(NoteQuery(subjectReference: "ung-1")).count == 2)
        #expect(try store.notes(NoteQuery(tag: "housing")).map(\.id) == [first.id])
        #expect(try store.notes(NoteQuery(kind: .phone)).map(\.subjectReference) == ["ung-2"])
        #expect(try store.notes(NoteQuery(since: base + day / 2, until: base + 1.5 * day)).count == 1)

        let edited = try store.editNote(
            id: String(first.id.prefix(5)),
            NoteChanges(append: "Next step: visit the school", addTags: ["placement"], removeTags: ["housing"]))
        #expect(edited.body == "Talked about housing\n\nNext step: visit the school")
        #expect(edited.tags == ["placement"])

        try store.deleteNote(id: first.id)
        #expect(throws: LocalStoreError.notFound(kind: "note", id: first.id)) { try store.note(id: first.id) }
        #expect(try store.notes().count == 2)
        #expect(try store.search("housing").isEmpty)
    }

    @Test func searchFindsTextTagsPlaceAndSubjectByPrefix() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        try store.addSubject(NewSubject(reference: "ung-9", displayName: "Jonas"))
        try store.addNote(
            NewNote(
                subjectReference: "ung-9", kind: .walk, place: "Aarhus harbour",
                body: "Discussed the apprenticeship at the bakery", tags: ["placement"]))
        try store.addNote(NewNote(subjectReference: "ung-9", kind: .sms, body: "Reminder sent"))
        #expect(try store.search("apprentice").count == 1)
        #expect(try store.search("placement").count == 1)
        #expect(try store.search("harbour").count == 1)
        #expect(try store.search("jonas").count == 2)
        #expect(try store.search("\"the bakery\"").count == 1)
        #expect(try store.search("bakery reminder").isEmpty)
        // FTS5 syntax in a query is treated as text, never as an error.
        #expect(try store.search("NEAR( \" * OR ) :").isEmpty)
        #expect(try store.search("apprentice")[0].excerpt.contains("[apprenticeship]"))
    }

    @Test func followUpsStayUntilSomeoneMarksThemDone() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        try store.addSubject(NewSubject(reference: "ung-1"))
        try store.addSubject(NewSubject(reference: "ung-2"))
        let now = Date()
        let intake = try store.addNote(
            NewNote(
                subjectReference: "ung-1", kind: .intake, occurredAt: now - 20 * 86_400,
                body: "Intake", followUp: now - 6 * 86_400))
        try store.addNote(
            NewNote(
                subjectReference: "ung-2", kind: .intake, occurredAt: now - 20 * 86_400,
                body: "Intake", followUp: now + 3 * 86_400))
        let due = try store.followUps(asOf: now)
        #expect(due.map(\.note.subjectReference) == ["ung-1"])
        #expect(due.first?.daysOverdue == 6)
        #expect(try store.followUps(asOf: now, withinDays: 5).count == 2)
        #expect(try store.followUps(asOf: now, all: true).count == 2)
        // A quick SMS note, or one dated later, does not close the overdue follow-up...
        try store.addNote(NewNote(subjectReference: "ung-1", kind: .sms, occurredAt: now + 86_400, body: "Texted"))
        #expect(try store.followUps(asOf: now).map(\.note.id) == [intake.id])
        // ...marking it done does, and it syncs: the done mark is a write in the outbox.
        try store.markFollowUpDone(noteID: String(intake.id.prefix(8)))
        #expect(try store.followUps(asOf: now).isEmpty)
        // A new date opens it again, at the new date.
        try store.editNote(id: intake.id, NoteChanges(followUp: .some(now - 86_400)))
        #expect(try store.followUps(asOf: now).map(\.daysOverdue) == [1])
        #expect(throws: LocalStoreError.self) {
            try store.markFollowUpDone(noteID: try store.notes(NoteQuery(kind: .sms))[0].id)
        }
    }

    @Test func idPrefixesMustBeUnique() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        try store.addSubject(NewSubject(reference: "ung-1"))
        var ids: [String] = []
        for index in 0..<40 {
            ids.append(try store.addNote(NewNote(subjectReference: "ung-1", kind: .sms, body: "sms \(index)")).id)
        }
        // With 40 random ids, some first hex digit is shared.
        let shared = Dictionary(grouping: ids, by: { $0.prefix(1) }).first { $0.value.count > 1 }!.key
        #expect {
            try store.note(id: String(shared))
        } throws: { error in
            if case LocalStoreError.ambiguousID = error { return true }
            return false
        }
        for id in ids { #expect(try store.note(id: String(id.prefix(12))).id == id) }
        #expect(throws: LocalStoreError.notFound(kind: "note", id: "zzz")) { try store.note(id: "zzz") }
    }

    @Test func subjectsAreEditedAndExported() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        try store.addSubject(NewSubject(reference: "ung-5", displayName: "Amal"))
        #expect(throws: LocalStoreError.self) { try store.addSubject(NewSubject(reference: "ung-5")) }
        #expect(throws: LocalStoreError.self) { try store.addSubject(NewSubject(reference: "010203-1234")) }
        let edited = try store.editSubject(
            reference: "ung-5", SubjectChanges(status: .inEducation, responsibleAdviser: "lars", consentRecorded: true))
        #expect(edited.status == .inEducation)
        #expect(edited.responsibleAdviser == "lars")
        #expect(edited.consentRecorded)
        try store.addNote(NewNote(subjectReference: "ung-5", kind: .intake, occurredAt: Date() - 100, body: "First"))
        try store.addNote(NewNote(subjectReference: "ung-5", kind: .walk, body: "Second"))
        let export = try store.export(subjectReference: "ung-5")
        #expect(export.notes.map(\.body) == ["First", "Second"])
        #expect(export.subject.displayName == "Amal")
        #expect(export.subject.status == .inEducation)
        #expect(export.recordedKinds.isEmpty && export.recordedStatuses.isEmpty)
    }

    @Test func everyWriteQueuesItsRecordForSync() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        try store.addSubject(NewSubject(reference: "ung-1"))
        let note = try store.addNote(NewNote(subjectReference: "ung-1", kind: .sms, body: "hello"))
        #expect(try store.outboxCount() == 2)
        try store.editNote(id: note.id, NoteChanges(body: "hello again"))
        // One entry per record, whatever the number of edits.
        #expect(try store.outboxCount() == 2)
    }
}
