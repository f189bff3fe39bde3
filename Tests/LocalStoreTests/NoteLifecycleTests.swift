import Foundation
import LocalStore
import SyncProtocol
import Testing

/// Writes that the other suites use but do not check: a batch of notes is all or nothing, a deleted note is
/// restored (unless it was purged), and a store whose adviser left the team drops everything but keeps aside
/// what was not pushed.
@Suite("Note lifecycle")
struct NoteLifecycleTests {
    @Test func aBatchOfNotesIsWrittenWholeOrNotAtAll() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        try store.addSubject(NewSubject(reference: "ung-1"))
        try store.addSubject(NewSubject(reference: "ung-2"))
        let good = (0..<5).map { NewNote(subjectReference: "ung-\($0 % 2 + 1)", kind: .sms, body: "import \($0)") }
        #expect(try store.outboxCount() == 2)

        expectInvalidInput {
            try store.addNotes(good + [NewNote(subjectReference: "ung-1", kind: .sms, body: "  \n")] + good)
        }
        #expect(throws: LocalStoreError.notFound(kind: "subject", id: "ung-404")) {
            try store.addNotes(good + [NewNote(subjectReference: "ung-404", kind: .sms, body: "lost")])
        }
        #expect(try store.notes().isEmpty)
        #expect(try store.search("import").isEmpty)
        #expect(try store.outboxCount() == 2)

        let ids = try store.addNotes(good)
        #expect(ids.count == 5 && Set(ids).count == 5)
        #expect(try store.notes().count == 5)
        #expect(try store.notes(NoteQuery(subjectReference: "ung-2")).count == 2)
        #expect(try store.outboxCount() == 7)
        #expect(try store.derivedDataProblems().isEmpty)
    }

    @Test func aDeletedNoteIsRestoredAndBothChangesAreQueued() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        try note.store.deleteNote(id: note.id)
        #expect(throws: LocalStoreError.notFound(kind: "note", id: note.id)) { try note.store.note(id: note.id) }
        #expect(try note.store.search("school").isEmpty)
        #expect(try await note.store.queuedRecord(id: note.id).isDeleted)
        try await note.store.acknowledgeEverything()
        // An unknown id names no deleted note.
        #expect(throws: LocalStoreError.notFound(kind: "deleted note", id: "ffff0000")) {
            try note.store.restoreNote(id: "ffff0000")
        }

        let restored = try note.store.restoreNote(id: String(note.id.prefix(8)))
        #expect(restored.id == note.id)
        #expect(restored.body == "Walked to the school\n" && restored.place == "harbour")
        #expect(try note.store.search("school").map(\.note.id) == [note.id])
        let queued = try await note.store.queuedRecord(id: note.id)
        #expect(!queued.isDeleted && !queued.isInConflict)
        // Live again: there is no deleted note to restore.
        #expect(throws: LocalStoreError.notFound(kind: "deleted note", id: note.id)) {
            try note.store.restoreNote(id: note.id)
        }
    }

    @Test func aPurgedNoteCannotBeRestored() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        // Purged (legal erasure) from the console; the purge comes in a pull.
        try await note.store.pull([note.base.purging(by: OtherDevice.larsPhone)], cursor: "1")
        #expect(try note.store.notes().isEmpty)
        expectInvalidInput { try note.store.restoreNote(id: note.id) }
        #expect(try note.store.outboxCount() == 0)
        #expect(try note.store.notes().isEmpty)
    }

    @Test func whenTheAdviserLeavesTheTeamEverythingGoesButUnpushedChangesAreKeptAside() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        let store = note.store
        try await store.pull([], cursor: "c-5")
        let unpushed = try store.addNote(NewNote(subjectReference: "ung-0142", kind: .sms, body: "Not pushed yet"))

        let outcome = try await store.teamAccessEnded()
        #expect(outcome.removed == 3)
        #expect(outcome.setAside == 1)
        #expect(try store.notes().isEmpty)
        #expect(try store.subjects().isEmpty)
        #expect(try store.search("school").isEmpty && store.search("pushed").isEmpty)
        #expect(try store.outboxCount() == 0)
        #expect(try await store.pullCursor() == nil)
        let aside = try store.setAsideRecords()
        #expect(aside.map(\.id) == [unpushed.id])
        #expect(aside.first?.values["body"] == "Not pushed yet")
        #expect(try store.syncStatus().setAside == 1)
        #expect(try store.derivedDataProblems().isEmpty)
    }
}
