import Foundation
import GRDB
import SyncProtocol
import Testing

@testable import LocalStore

/// `rebuildDerivedData` (what `fieldcli verify --repair` runs) restores the note and subject rows and the search
/// index from the records, whatever happened to them, and touches nothing else.
@Suite("Projection rebuild")
struct ProjectionRebuildTests {
    /// What a person sees of the store: every list, search and conflict, with the projection time left out.
    struct Shown: Equatable {
        var notes: [Note]
        var subjects: [Subject]
        var searches: [[String]]
        var conflicts: [RecordConflict]
        var followUps: [String]

        init(_ store: LocalStore) throws {
            notes = try store.notes().map {
                var note = $0; note.updatedAt = .distantPast; return note
            }
            subjects = try store.subjects().map {
                var subject = $0; subject.updatedAt = .distantPast; return subject
            }
            searches = try ["school", "mentor", "library", "sofie", "ung-7", "housing"].map { word in
                try store.search(word).map(\.note.id)
            }
            conflicts = try store.conflicts()
            followUps = try store.followUps(asOf: Date(timeIntervalSince1970: 1_800_000_000), all: true).map(\.note.id)
        }
    }

    /// Two subjects, notes with tags and follow-ups, a deleted note and a note in conflict with another device.
    static func populatedStore(
        _ dir: TemporaryDirectory
    ) async throws -> (LocalStore, conflicted: String, deleted: String) {
        let store = try makeStore(dir)
        try store.addSubject(NewSubject(reference: "ung-7", displayName: "Sofie", goals: "Finish 9th grade"))
        try store.addSubject(NewSubject(reference: "ung-8", status: .inEducation))
        let day = Date(timeIntervalSince1970: 1_790_000_000)
        let walk = try store.addNote(
            NewNote(
                subjectReference: "ung-7", kind: .walk, occurredAt: day, place: "harbour",
                body: "Walked to the school\n",
                tags: ["education"], followUp: day + 7 * 86_400))
        try store.addNote(
            NewNote(
                subjectReference: "ung-8", kind: .phone, occurredAt: day + 86_400, body: "Phoned the mentor",
                tags: ["housing", "work"]))
        let gone = try store.addNote(
            NewNote(
                subjectReference: "ung-7", kind: .sms, occurredAt: day + 2 * 86_400, body: "Texted about the school"))
        try store.deleteNote(id: gone.id)
        let base = try await store.queuedRecord(id: walk.id)
        try await store.acknowledgeEverything()
        try store.editNote(id: walk.id, NoteChanges(place: "library"))
        try await store.pull(
            [base.updating(["place": .string("station")], by: OtherDevice.larsPhone)], cursor: "c-7")
        return (store, walk.id, gone.id)
    }

    @Test func tamperedMissingAndStrayRowsAreRebuiltFromTheRecords() async throws {
        let dir = try TemporaryDirectory()
        let (store, conflicted, _) = try await Self.populatedStore(dir)
        defer { store.close() }
        let shown = try Shown(store)
        #expect(shown.notes.count == 2)
        #expect(shown.conflicts.map(\.id) == [conflicted])
        #expect(shown.searches[0] == [conflicted])
        let queued = try await store.pendingChanges(after: nil, limit: 100)
        let states = try store.read { db in try Row.fetchAll(db, sql: "SELECT * FROM record ORDER BY rowid") }

        // What a bug, an old version or a hand-edit could leave: wrong values in rows that exist, a lost row, rows
        // for records that do not exist, search text that no longer matches the note.
        try store.write { db in
            try db.execute(
                sql: """
                    UPDATE note SET body = 'tampered', place = 'nowhere', tags = '["other"]', kind = 'group',
                        hasConflict = 0, followUp = NULL;
                    UPDATE subject SET displayName = 'Wrong', status = 'closed', goals = '', hasConflict = 1
                        WHERE reference = 'ung-7';
                    DELETE FROM subject WHERE reference = 'ung-8';
                    INSERT INTO subject (id, reference, displayName, status, responsibleAdviser, consentRecorded,
                        goals, nextStep, hasConflict, updatedAt)
                        VALUES ('0000stray', 'ung-99', 'Nobody', 'closed', '', 0, '', '', 0, 0);
                    INSERT INTO note (id, subjectID, kind, occurredAt, place, body, tags, author, device, hasConflict,
                        updatedAt)
                        VALUES ('0000straynote', '0000stray', 'sms', 0, '', 'stray housing text', '[]', '', '', 0, 0);
                    INSERT INTO note_fts (rowid, body, tags, place, subject)
                        VALUES (last_insert_rowid(), 'stray housing text', '', '', 'ung-99');
                    UPDATE note_fts SET body = 'nothing useful' WHERE body LIKE '%mentor%';
                    """)
        }
        #expect(try Shown(store) != shown)
        #expect(try store.search("mentor").isEmpty)
        // The conflict list follows the rows' flags: the note's conflict is hidden, the subject shows one.
        #expect(try store.conflicts().map(\.collection) == ["subjects"])

        // Two subjects and three notes (the deleted one included) are projected again.
        #expect(try store.rebuildDerivedData() == 5)
        #expect(try Shown(store) == shown)
        #expect(try store.derivedDataProblems().isEmpty)
        // Records, outbox and cursor are not the projection's: they are exactly as before.
        #expect(try await store.pendingChanges(after: nil, limit: 100) == queued)
        #expect(try store.read { db in try Row.fetchAll(db, sql: "SELECT * FROM record ORDER BY rowid") } == states)
        #expect(try await store.pullCursor() == "c-7")
        try store.verifyIntegrity()
        store.close()

        let again = try reopen(dir)
        defer { again.close() }
        #expect(try Shown(again) == shown)
    }

    @Test func aRebuildThatMeetsAnUnreadableRecordChangesNothing() async throws {
        let dir = try TemporaryDirectory()
        let (store, _, deleted) = try await Self.populatedStore(dir)
        defer { store.close() }
        let shown = try Shown(store)
        // The last record projected: every row has been written again by the time it fails.
        try store.write { db in
            try db.execute(
                sql: "UPDATE record SET state = substr(state, 1, length(state) / 2) WHERE id = ?",
                arguments: [deleted])
        }
        // The rows are deleted first and projected again record by record: a failure must not leave them gone.
        #expect {
            try store.rebuildDerivedData()
        } throws: { error in
            if case LocalStoreError.damaged = error { return true }
            return false
        }
        #expect(try Shown(store) == shown)
    }

    @Test func verifyFindsARowWhoseValuesDisagreeWithItsRecord() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        try store.addSubject(NewSubject(reference: "ung-5"))
        let note = try store.addNote(NewNote(subjectReference: "ung-5", kind: .walk, body: "Walked to the school"))
        try store.write { db in
            try db.execute(sql: "UPDATE note SET body = 'tampered' WHERE id = ?", arguments: [note.id])
        }
        // Known gap (#13 point 11): `verify` compares which rows exist, not what they hold, so only
        // `verify --repair` (which rebuilds unconditionally) puts this right. When verify learns to compare
        // values, this known issue stops being recorded and the test fails: then drop `withKnownIssue`.
        let problems = try store.derivedDataProblems()
        withKnownIssue("derivedDataProblems does not compare row values with the records") {
            #expect(!problems.isEmpty)
        }
        try store.rebuildDerivedData()
        #expect(try store.note(id: note.id).body == "Walked to the school")
    }

    @Test func aSubjectRenameReachesTheSearchRowsOfItsNotesOnRebuild() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        try store.addSubject(NewSubject(reference: "ung-4", displayName: "Amal"))
        for text in ["Walked to the school", "Phoned the mentor"] {
            try store.addNote(NewNote(subjectReference: "ung-4", kind: .walk, body: text))
        }
        // The subject's words in its notes' search rows went stale.
        try store.write { db in try db.execute(sql: "UPDATE note_fts SET subject = 'ung-4 Omar'") }
        #expect(try store.search("Amal").isEmpty)
        #expect(try store.search("Omar").count == 2)
        try store.rebuildDerivedData()
        #expect(try store.search("Amal").count == 2)
        #expect(try store.search("Omar").isEmpty)
    }
}
