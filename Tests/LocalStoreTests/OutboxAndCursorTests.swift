import Foundation
import GRDB
import SyncProtocol
import Testing

@testable import LocalStore

/// The store's side of sync bookkeeping (`ReplicaStorage`): the outbox keeps a record until the push that
/// carried its latest state is acknowledged, a pulled page is stored with its cursor, and a batch that fails half
/// way leaves nothing of itself behind.
@Suite("Outbox and pull cursor")
struct OutboxAndCursorTests {
    /// A note Lars wrote on his phone about `subjectID`, as a pulled page brings it.
    static func larsNote(subjectID: String, body: String) throws -> SyncProtocol.Record {
        try SyncProtocol.Record.create(
            collection: "notes", id: UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
            values: [
                "subject": .reference(subjectID), "kind": .string("phone"),
                "occurredAt": .timestamp(Timestamp(Date(timeIntervalSince1970: 1_790_000_000))), "body": .text(body),
                "author": .string("lars"), "device": .string("phone"),
            ],
            by: OtherDevice.larsPhone, schema: Schemas.notes)
    }

    /// How many causal states the store holds.
    static func recordCount(_ store: LocalStore) throws -> Int {
        try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM record") ?? 0 }
    }

    // MARK: Outbox

    @Test func pendingChangesListsEachRecordOnceInWriteOrderAndPages() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        #expect(try await store.pendingChanges(after: nil, limit: 10).isEmpty)
        let subject = try store.addSubject(NewSubject(reference: "ung-1"))
        let first = try store.addNote(NewNote(subjectReference: "ung-1", kind: .sms, body: "first"))
        let second = try store.addNote(NewNote(subjectReference: "ung-1", kind: .sms, body: "second"))
        // Editing the subject again moves it behind the notes: its entry is its latest write.
        try store.editSubject(reference: "ung-1", SubjectChanges(nextStep: "Call Monday"))

        let all = try await store.pendingChanges(after: nil, limit: 10)
        #expect(all.map(\.record.id) == [first.id, second.id, subject.id])
        #expect(all.map(\.marker) == all.map(\.marker).sorted())
        #expect(Set(all.map(\.marker)).count == 3)
        #expect(all[2].record.value("nextStep") == .text("Call Monday"))
        #expect(try await store.pendingChangeCount() == 3)

        let page = try await store.pendingChanges(after: nil, limit: 2)
        #expect(page == Array(all.prefix(2)))
        let rest = try await store.pendingChanges(after: page.last?.marker, limit: 2)
        #expect(rest == [all[2]])
        #expect(try await store.pendingChanges(after: all[2].marker, limit: 2).isEmpty)
        #expect(try await store.pendingChanges(after: nil, limit: 0).isEmpty)
    }

    @Test func anAcknowledgementRemovesAnEntryOnlyWhileItsMarkerStillMatches() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        let subject = try store.addSubject(NewSubject(reference: "ung-1"))
        let note = try store.addNote(NewNote(subjectReference: "ung-1", kind: .sms, body: "sent the address"))
        let pushed = try await store.pendingChanges(after: nil, limit: 10)
        #expect(pushed.count == 2)

        // Edited while the push was on its way: the acknowledgement is for the older state.
        try store.editNote(id: note.id, NoteChanges(place: "youth club"))
        let outcome = try await store.acknowledge(pushed.map(\.acceptedAsPushed))
        #expect(outcome.changed == 0)
        let left = try await store.pendingChanges(after: nil, limit: 10)
        #expect(left.map(\.record.id) == [note.id])
        let pushedNote = try #require(pushed.first { $0.record.id == note.id })
        #expect(left[0].marker > pushedNote.marker)
        #expect(left[0].record.value("place") == .string("youth club"))

        // A retried acknowledgement of the old push changes nothing; the new one empties the outbox.
        _ = try await store.acknowledge(pushed.map(\.acceptedAsPushed))
        #expect(try store.outboxCount() == 1)
        _ = try await store.acknowledge(left.map(\.acceptedAsPushed))
        #expect(try store.outboxCount() == 0)
        #expect(try store.syncStatus().unsyncedChanges == 0)
        // The records themselves are untouched by acknowledging them.
        #expect(try store.note(id: note.id).place == "youth club")
        #expect(try store.subject(reference: "ung-1").id == subject.id)
    }

    @Test func theServersMergedStateComesBackWithTheAcknowledgement() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        try note.store.editNote(id: note.id, NoteChanges(body: "Walked to the school\n\nShe starts Monday\n"))
        let pushed = try await note.store.queuedRecord(id: note.id)
        let entry = try #require(try await note.store.pendingChanges(after: nil, limit: 10).first)
        // The server had Lars's tags from the same base; it answers with both changes merged.
        let lars = note.base.addingTags(["school"], to: "tags", by: OtherDevice.larsPhone)
        let server = pushed.merged(with: lars)
        let key = RecordKey(collection: "notes", id: note.id)
        let outcome = try await note.store.acknowledge([
            PushAcknowledgement(key: key, marker: entry.marker, serverRecord: server)
        ])
        #expect(outcome.changed == 1)
        #expect(outcome.conflicted.isEmpty)
        #expect(try note.store.outboxCount() == 0)
        let shown = try note.store.note(id: note.id)
        #expect(shown.tags == ["school"])
        #expect(shown.body == "Walked to the school\n\nShe starts Monday\n")
        #expect(try note.store.notes(NoteQuery(tag: "school")).map(\.id) == [note.id])
    }

    @Test func aFailedAcknowledgementRemovesNoEntry() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        try note.store.editSubject(reference: "ung-0142", SubjectChanges(nextStep: "Call Monday"))
        try note.store.editNote(id: note.id, NoteChanges(place: "library"))
        let pushed = try await note.store.pendingChanges(after: nil, limit: 10)
        #expect(pushed.map(\.record.collection) == ["subjects", "notes"])
        // The note's stored state cannot be read when the server's answer for it is merged in: the batch fails
        // after the subject's entry was already settled inside it.
        try note.store.write { db in
            try db.execute(
                sql: "UPDATE record SET state = substr(state, 1, length(state) / 2) WHERE id = ?",
                arguments: [note.id])
        }
        var acks = pushed.map(\.acceptedAsPushed)
        acks[1].serverRecord = pushed[1].record.updating(["kind": .string("sms")], by: OtherDevice.larsPhone)
        await #expect(throws: LocalStoreError.self) { try await note.store.acknowledge(acks) }
        #expect(try note.store.outboxCount() == 2)
    }

    // MARK: Pull pages and the cursor

    @Test func aPulledPageIsStoredWithItsCursor() async throws {
        let (dirA, dirB) = (try TemporaryDirectory("cursor-mette"), try TemporaryDirectory("cursor-lars"))
        let mette = try makeStore(dirA, adviser: "mette")
        let lars = try makeStore(dirB, adviser: "lars")
        defer { lars.close() }
        try lars.addSubject(NewSubject(reference: "ung-9", displayName: "Jonas"))
        for text in ["Met at the bakery", "Phoned the mentor"] {
            try lars.addNote(NewNote(subjectReference: "ung-9", kind: .walk, body: text))
        }
        let records = try await lars.pendingChanges(after: nil, limit: 100).map(\.record)

        #expect(try await mette.pullCursor() == nil)
        let outcome = try await mette.pull(records, cursor: "c-1")
        #expect(outcome.changed == 3)
        #expect(outcome.merged == 0 && outcome.conflicted.isEmpty)
        #expect(try await mette.pullCursor() == "c-1")
        #expect(try mette.notes().count == 2)
        #expect(try mette.search("bakery").count == 1)
        // Pulled records are not this device's changes: nothing to push.
        #expect(try mette.outboxCount() == 0)

        // The same page again (a retry after a lost answer) changes no record; an empty page moves the cursor.
        #expect(try await mette.pull(records, cursor: "c-1").changed == 0)
        #expect(try await mette.pull([], cursor: "c-2").changed == 0)
        #expect(try await mette.pullCursor() == "c-2")
        mette.close()

        let again = try reopen(dirA)
        defer { again.close() }
        #expect(try await again.pullCursor() == "c-2")
        #expect(try again.notes().count == 2)
    }

    @Test func aPageThatMeetsAnUnreadableStateLeavesNeitherRecordsNorCursor() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        let store = note.store
        try await store.pull([], cursor: "c-0")
        let subjectID = note.subjectBase.id
        let before = try #require(
            try store.read { db in
                try Data.fetchOne(db, sql: "SELECT state FROM record WHERE id = ?", arguments: [note.id])
            })
        try store.write { db in
            try db.execute(
                sql: "UPDATE record SET state = substr(state, 1, length(state) / 2) WHERE id = ?",
                arguments: [note.id])
        }
        let page = [
            try Self.larsNote(subjectID: subjectID, body: "Called about the apprenticeship"),
            note.base.updating(["place": .string("station")], by: OtherDevice.larsPhone),
            try Self.larsNote(subjectID: subjectID, body: "Texted the mentor"),
        ]
        let records = try Self.recordCount(store)

        await #expect {
            try await store.pull(page, cursor: "c-1")
        } throws: { error in
            if case LocalStoreError.damaged = error { return true }
            return false
        }
        #expect(try await store.pullCursor() == "c-0")
        #expect(try Self.recordCount(store) == records)
        #expect(throws: LocalStoreError.notFound(kind: "note", id: page[0].id)) { try store.note(id: page[0].id) }
        #expect(try store.search("apprenticeship").isEmpty)
        #expect(try store.outboxCount() == 0)

        // Once the state is readable again, the same page applies whole.
        try store.write { db in
            try db.execute(sql: "UPDATE record SET state = ? WHERE id = ?", arguments: [before, note.id])
        }
        let outcome = try await store.pull(page, cursor: "c-1")
        #expect(outcome.changed == 3)
        #expect(try await store.pullCursor() == "c-1")
        #expect(try store.note(id: note.id).place == "station")
        #expect(try store.search("apprenticeship").map(\.note.id) == [page[0].id])
        #expect(try store.derivedDataProblems().isEmpty)
    }

    @Test(arguments: [LocalStore.JournalMode.wal, .rollback])
    func aPageThatFillsTheDiskHalfWayLeavesNeitherRecordsNorCursor(journal: LocalStore.JournalMode) async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir, journal: journal)
        defer { store.close() }
        let subject = try store.addSubject(NewSubject(reference: "ung-3"))
        try store.addNote(NewNote(subjectReference: "ung-3", kind: .sms, body: "already here"))
        try await store.pull([], cursor: "c-0")
        let filler = String(repeating: "workshop placement follow-up ", count: 150)
        let page = try (0..<120).map { try Self.larsNote(subjectID: subject.id, body: "visit \($0) " + filler) }
        let records = try Self.recordCount(store)

        // The disk fills a few pages into the write: the first notes of the page fit, the rest do not.
        try store.write { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages + 8)")
        }
        await #expect(throws: LocalStoreError.diskFull) { try await store.pull(page, cursor: "c-1") }
        #expect(try await store.pullCursor() == "c-0")
        #expect(try Self.recordCount(store) == records)
        #expect(try store.notes().map(\.body) == ["already here"])
        #expect(try store.search("workshop").isEmpty)
        #expect(try store.derivedDataProblems().isEmpty)

        // Space again: the whole page applies, with its cursor.
        try store.write { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        #expect(try await store.pull(page, cursor: "c-1").changed == page.count)
        #expect(try await store.pullCursor() == "c-1")
        #expect(try store.notes().count == page.count + 1)
        try store.verifyIntegrity()
    }
}
