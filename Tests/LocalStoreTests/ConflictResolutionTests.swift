import Foundation
import LocalStore
import SyncProtocol
import Testing

/// `resolve` and `resolveDeletion` for every kind of conflict a pull can bring: concurrent writes of one field
/// (settled by a candidate, `.mine`, `.theirs` or new text), several fields at once, a delete that met an edit;
/// and wrong input, which changes nothing.
@Suite("Conflict resolution")
struct ConflictResolutionTests {
    /// Mette changes the note on her device (`local`) and pushes it; Lars changed it from the same base on his
    /// (`remote`), and his state comes in the next pull. Returns Lars's state.
    static func concurrentEdits(
        _ note: SyncedNote, local: NoteChanges, remote: [String: FieldValue]
    ) async throws -> SyncProtocol.Record {
        try note.store.editNote(id: note.id, local)
        try await note.store.acknowledgeEverything()
        let theirs = note.base.updating(remote, by: OtherDevice.larsPhone)
        let outcome = try await note.store.pull([theirs], cursor: "1")
        #expect(outcome.merged == 1)
        #expect(outcome.conflicted == [RecordKey(collection: "notes", id: note.id)])
        // A merge of a pulled state is not a local write: nothing to push until a person decides.
        #expect(try note.store.outboxCount() == 0)
        return theirs
    }

    /// The resolution is queued for the next push and covers every candidate: merged with the other device's
    /// state, in either order, it stays as it is, so both devices settle on it.
    static func expectSettlesEverywhere(
        _ note: SyncedNote, theirs: SyncProtocol.Record, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> SyncProtocol.Record {
        #expect(try note.store.outboxCount() == 1, sourceLocation: sourceLocation)
        let resolved = try await note.store.queuedRecord(id: note.id)
        #expect(!resolved.isInConflict, sourceLocation: sourceLocation)
        #expect(theirs.clock.compare(resolved.clock) == .before, sourceLocation: sourceLocation)
        #expect(resolved.merged(with: theirs) == resolved, sourceLocation: sourceLocation)
        #expect(theirs.merged(with: resolved) == resolved, sourceLocation: sourceLocation)
        #expect(
            resolved.clock[note.store.replicaID] > note.base.clock[note.store.replicaID] + 1,
            "the resolution is a write of its own", sourceLocation: sourceLocation)
        return resolved
    }

    @Test func aFieldWrittenOnTwoDevicesIsListedWithBothCandidates() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        _ = try await Self.concurrentEdits(
            note, local: NoteChanges(place: "library"), remote: ["place": .string("station")])

        let conflicts = try note.store.conflicts()
        #expect(conflicts.count == 1)
        let conflict = try #require(conflicts.first)
        #expect(conflict.id == note.id)
        #expect(conflict.collection == "notes")
        #expect(conflict.subjectReference == "ung-0142")
        #expect(!conflict.deletedElsewhere)
        #expect(conflict.fields.map(\.field) == ["place"])
        let candidates = conflict.fields[0].candidates
        #expect(Set(candidates.map(\.value)) == ["library", "station"])
        let mine = try #require(candidates.first { $0.mine })
        #expect(mine.value == "library")
        #expect(mine.replica == note.store.replicaID.rawValue)
        #expect(mine.adviser == "mette" && mine.device == "laptop")
        let theirs = try #require(candidates.first { !$0.mine })
        #expect(theirs.replica == OtherDevice.larsPhone.rawValue)
        #expect(try note.store.conflict(id: String(note.id.prefix(6))) == conflict)
        #expect(try note.store.note(id: note.id).hasConflict)
        #expect(try note.store.syncStatus().conflicts == 1)
    }

    @Test(arguments: ["library", "station"])
    func aCandidateChosenByIndexIsKept(value: String) async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        let theirs = try await Self.concurrentEdits(
            note, local: NoteChanges(place: "library"), remote: ["place": .string("station")])
        let candidates = try note.store.conflict(id: note.id).fields[0].candidates
        let index = try #require(candidates.firstIndex { $0.value == value })

        #expect(try note.store.resolve(id: String(note.id.prefix(8)), field: "place", choice: .candidate(index)) == nil)
        let shown = try note.store.note(id: note.id)
        #expect(shown.place == value)
        #expect(!shown.hasConflict)
        #expect(try note.store.conflicts().isEmpty)
        #expect(try note.store.syncStatus().conflicts == 0)
        let resolved = try await Self.expectSettlesEverywhere(note, theirs: theirs)
        #expect(resolved.value("place") == .string(value))
        #expect(resolved.writes(of: "place").map(\.dot.replica) == [note.store.replicaID])
    }

    @Test(arguments: [
        (ConflictChoice.mine, "library"), (.theirs, "station"), (.text("the youth club"), "the youth club"),
    ])
    func aChoiceByWhoWroteItOrNewTextIsKept(choice: ConflictChoice, expected: String) async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        let theirs = try await Self.concurrentEdits(
            note, local: NoteChanges(place: "library"), remote: ["place": .string("station")])

        // One field in conflict: it need not be named.
        #expect(try note.store.resolve(id: note.id, field: nil, choice: choice) == nil)
        #expect(try note.store.note(id: note.id).place == expected)
        #expect(try note.store.conflicts().isEmpty)
        let resolved = try await Self.expectSettlesEverywhere(note, theirs: theirs)
        #expect(resolved.value("place") == .string(expected))
        // Only the field in conflict was written.
        #expect(resolved.value("kind") == note.base.value("kind"))
        #expect(resolved.value("body") == note.base.value("body"))
    }

    @Test func aTextEditedOnTheSameLineOnTwoDevicesIsSettledWithMergedText() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        let theirs = try await Self.concurrentEdits(
            note, local: NoteChanges(body: "Walked with Amal to the school\n"),
            remote: ["body": .text("Walked to the new school\n")])
        let conflict = try note.store.conflict(id: note.id)
        #expect(conflict.fields.map(\.field) == ["body"])
        #expect(
            Set(conflict.fields[0].candidates.map(\.value))
                == ["Walked with Amal to the school\n", "Walked to the new school\n"])

        let merged = "Walked with Amal to the new school\n"
        #expect(try note.store.resolve(id: note.id, field: "body", choice: .text(merged)) == nil)
        #expect(try note.store.note(id: note.id).body == merged)
        #expect(try note.store.search("Amal new").map(\.note.id) == [note.id])
        let resolved = try await Self.expectSettlesEverywhere(note, theirs: theirs)
        #expect(resolved.value("body") == .text(merged))
    }

    @Test func aSubjectFieldConflictIsListedAfterTheNotesAndSettled() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        try note.store.editSubject(reference: "ung-0142", SubjectChanges(nextStep: "Visit the workshop"))
        try note.store.editNote(id: note.id, NoteChanges(place: "library"))
        try await note.store.acknowledgeEverything()
        let theirSubject = note.subjectBase.updating(["nextStep": .text("Call the school")], by: OtherDevice.larsPhone)
        let theirNote = note.base.updating(["place": .string("station")], by: OtherDevice.larsPhone)
        let outcome = try await note.store.pull([theirSubject, theirNote], cursor: "1")
        #expect(outcome.conflicted.count == 2)

        let conflicts = try note.store.conflicts()
        #expect(conflicts.map(\.collection) == ["notes", "subjects"])
        #expect(conflicts.map(\.subjectReference) == ["ung-0142", "ung-0142"])
        #expect(conflicts[1].fields.map(\.field) == ["nextStep"])
        #expect(try note.store.subject(reference: "ung-0142").hasConflict)

        #expect(try note.store.resolve(id: note.subjectBase.id, field: "nextStep", choice: .theirs) == nil)
        let subject = try note.store.subject(reference: "ung-0142")
        #expect(subject.nextStep == "Call the school")
        #expect(!subject.hasConflict)
        #expect(try note.store.conflicts().map(\.collection) == ["notes"])
        #expect(try note.store.outboxCount() == 1)
        let resolved = try await note.store.queuedRecord(id: note.subjectBase.id)
        #expect(resolved.merged(with: theirSubject) == resolved)
    }

    @Test func settlingOneFieldLeavesTheOtherInConflict() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        let theirs = try await Self.concurrentEdits(
            note, local: NoteChanges(kind: .phone, place: "library"),
            remote: ["kind": .string("sms"), "place": .string("station")])
        #expect(try note.store.conflict(id: note.id).fields.map(\.field) == ["kind", "place"])

        // Two fields in conflict: the field must be named; a field not in conflict is refused.
        expectInvalidInput { try note.store.resolve(id: note.id, field: nil, choice: .mine) }
        expectInvalidInput { try note.store.resolve(id: note.id, field: "body", choice: .mine) }
        #expect(try note.store.outboxCount() == 0)

        let remaining = try #require(try note.store.resolve(id: note.id, field: "kind", choice: .theirs))
        #expect(remaining.id == note.id)
        #expect(remaining.fields.map(\.field) == ["place"])
        #expect(Set(remaining.fields[0].candidates.map(\.value)) == ["library", "station"])
        let halfway = try note.store.note(id: note.id)
        #expect(halfway.kind == .sms)
        #expect(halfway.hasConflict)
        #expect(try note.store.conflicts().map(\.fields) == [remaining.fields])
        // The settled field goes out at once; the record still shows the other conflict to every device.
        #expect(try note.store.outboxCount() == 1)
        let queued = try await note.store.queuedRecord(id: note.id)
        #expect(queued.conflicts.map(\.fieldName) == ["place"])

        #expect(try note.store.resolve(id: note.id, field: nil, choice: .mine) == nil)
        let settled = try note.store.note(id: note.id)
        #expect(settled.kind == .sms && settled.place == "library" && !settled.hasConflict)
        let resolved = try await Self.expectSettlesEverywhere(note, theirs: theirs)
        #expect(resolved.value("kind") == .string("sms"))
    }

    @Test func wrongChoicesAreRefusedAndChangeNothing() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        // Lars and Ida each changed the place; this device wrote neither value.
        let lars = note.base.updating(["place": .string("station")], by: OtherDevice.larsPhone)
        let ida = note.base.updating(["place": .string("library")], by: OtherDevice.idaTablet)
        try await note.store.pull([lars, ida], cursor: "1")
        let conflict = try note.store.conflict(id: note.id)
        #expect(conflict.fields.map(\.field) == ["place"])
        #expect(conflict.fields[0].candidates.allSatisfy { !$0.mine })
        let noteBefore = try note.store.note(id: note.id)
        let cursorBefore = try await note.store.pullCursor()

        for choice in [ConflictChoice.candidate(2), .candidate(-1), .mine, .theirs] {
            expectInvalidInput("\(choice)") { try note.store.resolve(id: note.id, field: "place", choice: choice) }
        }
        expectInvalidInput {
            try note.store.resolve(id: note.id, field: "place", choice: .candidate(Int.max))
        }
        #expect(try note.store.conflict(id: note.id) == conflict)
        #expect(try note.store.note(id: note.id) == noteBefore)
        #expect(try note.store.outboxCount() == 0)
        #expect(try await note.store.pullCursor() == cursorBefore)

        // The numbers the conflict lists still work.
        #expect(try note.store.resolve(id: note.id, field: "place", choice: .candidate(1)) == nil)
        #expect(try note.store.note(id: note.id).place == conflict.fields[0].candidates[1].value)
        let resolved = try await note.store.queuedRecord(id: note.id)
        #expect(resolved.merged(with: lars).merged(with: ida) == resolved)
    }

    @Test func newTextForATimestampIsRefused() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        let day = Date(timeIntervalSince1970: 1_790_000_000)
        _ = try await Self.concurrentEdits(
            note, local: NoteChanges(occurredAt: day),
            remote: ["occurredAt": .timestamp(Timestamp(day + 86_400))])
        expectInvalidInput { try note.store.resolve(id: note.id, field: "occurredAt", choice: .text("tomorrow")) }
        #expect(try note.store.outboxCount() == 0)
        #expect(try note.store.conflict(id: note.id).fields.map(\.field) == ["occurredAt"])
        #expect(try note.store.resolve(id: note.id, field: "occurredAt", choice: .mine) == nil)
        #expect(try note.store.note(id: note.id).occurredAt == day)
    }

    @Test func onlyARecordInConflictCanBeResolved() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        #expect(throws: LocalStoreError.notFound(kind: "conflict", id: note.id)) {
            try note.store.resolve(id: note.id, field: nil, choice: .mine)
        }
        #expect(throws: LocalStoreError.notFound(kind: "conflict", id: note.id)) {
            try note.store.resolveDeletion(id: note.id, keep: false)
        }
        #expect(throws: LocalStoreError.notFound(kind: "record", id: "ffff0000")) {
            try note.store.resolve(id: "ffff0000", field: nil, choice: .mine)
        }
        #expect(try note.store.note(id: note.id).place == "harbour")
        #expect(try note.store.outboxCount() == 0)
    }

    // MARK: Delete versus edit

    @Test(arguments: [true, false])
    func aNoteDeletedHereAndEditedElsewhereIsKeptOrDeleted(keep: Bool) async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        try note.store.deleteNote(id: note.id)
        try await note.store.acknowledgeEverything()
        let theirs = note.base.updating(["place": .string("station")], by: OtherDevice.larsPhone)
        let outcome = try await note.store.pull([theirs], cursor: "1")
        #expect(outcome.conflicted == [RecordKey(collection: "notes", id: note.id)])

        // The edit survives: the note is back, with the other device's change, flagged.
        let back = try note.store.note(id: note.id)
        #expect(back.place == "station")
        #expect(back.hasConflict)
        let conflict = try note.store.conflict(id: note.id)
        #expect(conflict.deletedElsewhere)
        #expect(conflict.fields.isEmpty)
        // No field is in conflict, so there is none to choose a value for (and the message says so).
        #expect {
            try note.store.resolve(id: note.id, field: nil, choice: .theirs)
        } throws: { error in
            guard case LocalStoreError.invalidInput(let message) = error else { return false }
            return message.contains("deletion") && !message.contains("several")
        }
        #expect(try note.store.outboxCount() == 0)

        try note.store.resolveDeletion(id: String(note.id.prefix(7)), keep: keep)
        #expect(try note.store.conflicts().isEmpty)
        if keep {
            let kept = try note.store.note(id: note.id)
            #expect(kept.place == "station" && !kept.hasConflict)
        } else {
            #expect(throws: LocalStoreError.notFound(kind: "note", id: note.id)) { try note.store.note(id: note.id) }
            #expect(try note.store.notes().isEmpty)
            #expect(try note.store.search("school").isEmpty)
        }
        let resolved = try await Self.expectSettlesEverywhere(note, theirs: theirs)
        #expect(resolved.isDeleted == !keep)
    }

    @Test func aNoteEditedHereAndDeletedElsewhereCanBeDeletedAfterAll() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        try note.store.editNote(id: note.id, NoteChanges(place: "library"))
        try await note.store.acknowledgeEverything()
        let theirs = note.base.deleting(by: OtherDevice.larsPhone)
        try await note.store.pull([theirs], cursor: "1")
        let flagged = try note.store.note(id: note.id)
        #expect(flagged.place == "library" && flagged.hasConflict)
        #expect(try note.store.conflict(id: note.id).deletedElsewhere)

        try note.store.resolveDeletion(id: note.id, keep: false)
        #expect(try note.store.notes().isEmpty)
        let resolved = try await Self.expectSettlesEverywhere(note, theirs: theirs)
        #expect(resolved.isDeleted)
    }

    @Test func settlingADeletionIsRefusedForARecordNobodyDeleted() async throws {
        // `fieldcli resolve ID --delete` calls resolveDeletion whatever the conflict: a note whose only conflict
        // is a field must not be deleted by it.
        let note = try await SyncedNote()
        defer { note.close() }
        _ = try await Self.concurrentEdits(
            note, local: NoteChanges(place: "library"), remote: ["place": .string("station")])
        let before = try note.store.conflict(id: note.id)
        for keep in [false, true] {
            expectInvalidInput("keep: \(keep)") { try note.store.resolveDeletion(id: note.id, keep: keep) }
            #expect(try note.store.notes().map(\.id) == [note.id], "keep: \(keep)")
            #expect(try note.store.conflict(id: note.id) == before)
            #expect(try note.store.outboxCount() == 0)
        }
    }
}

/// Expects `body` to throw `LocalStoreError.invalidInput`.
func expectInvalidInput<T>(
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T
) {
    #expect(comment, sourceLocation: sourceLocation) {
        _ = try body()
    } throws: { error in
        if case LocalStoreError.invalidInput = error { return true }
        return false
    }
}
