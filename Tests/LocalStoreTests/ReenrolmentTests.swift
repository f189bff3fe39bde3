import Foundation
import LocalStore
import SyncProtocol
import Testing

/// `reenrol(as:enrolment:token:)`: after a re-enrolment the store writes with the new replica id, keeps the ids it
/// wrote with before as its own (oldest first), keeps every record and queued change, and survives a reopen; an id
/// it has used already is refused.
@Suite("Re-enrolment")
struct ReenrolmentTests {
    static let first = Enrolment(serverURL: "https://127.0.0.1:8443", deviceID: "dev-1", team: "north")
    static let second = Enrolment(serverURL: "https://127.0.0.1:8443", deviceID: "dev-2", team: "north")

    /// Every replica that wrote any part of `record`: its clock and every field's dots.
    static func writers(_ record: SyncProtocol.Record) -> Set<ReplicaID> {
        Set(record.fieldNames.flatMap { record.writes(of: $0).map(\.dot.replica) })
    }

    @Test func newWritesUseTheNewIdAndTheEarlierOneStaysTheStoresOwn() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.saveEnrolment(Self.first, token: "token-1")
        let earlier = store.replicaID
        #expect(store.earlierReplicaIDs.isEmpty)
        try store.addSubject(NewSubject(reference: "ung-1"))
        let old = try store.addNote(NewNote(subjectReference: "ung-1", kind: .sms, body: "queued before"))
        let queued = try await store.pendingChanges(after: nil, limit: 10)

        let replica = try ReplicaID("k3v9q2m7x1ab")
        try store.reenrol(as: replica, enrolment: Self.second, token: "token-2")
        #expect(store.replicaID == replica)
        #expect(store.earlierReplicaIDs == [earlier])
        #expect(store.ownReplicaIDs == [earlier, replica])
        let enrolment = try #require(try store.enrolment())
        #expect(enrolment.enrolment == Self.second)
        #expect(enrolment.token == "token-2")
        #expect(try store.syncStatus().replica == replica.rawValue)
        #expect(try store.syncStatus().deviceID == "dev-2")
        // The queued writes under the earlier id go out as they are.
        #expect(try await store.pendingChanges(after: nil, limit: 10) == queued)

        let new = try store.addNote(NewNote(subjectReference: "ung-1", kind: .walk, body: "written after"))
        let newRecord = try await store.queuedRecord(id: new.id)
        #expect(newRecord.clock[replica] == 1)
        #expect(newRecord.clock[earlier] == 0)
        #expect(Self.writers(newRecord) == [replica])
        // An edit of a record written before continues its history under the new id.
        try store.editNote(id: old.id, NoteChanges(place: "youth club"))
        let edited = try await store.queuedRecord(id: old.id)
        #expect(edited.clock[earlier] == 1)
        #expect(edited.clock[replica] == 1)
        #expect(edited.writes(of: "place").map(\.dot.replica) == [replica])
        #expect(edited.writes(of: "body").map(\.dot.replica) == [earlier])
        store.close()

        let again = try reopen(dir)
        #expect(again.replicaID == replica)
        #expect(again.earlierReplicaIDs == [earlier])
        #expect(try again.enrolment()?.enrolment == Self.second)
        #expect(try again.enrolment()?.token == "token-2")
        let afterReopen = try again.addNote(NewNote(subjectReference: "ung-1", kind: .sms, body: "after reopen"))
        #expect(Self.writers(try await again.queuedRecord(id: afterReopen.id)) == [replica])

        // A second re-enrolment keeps both earlier ids, oldest first.
        let third = try ReplicaID("third-replica")
        try again.reenrol(as: third, enrolment: Self.first, token: "token-3")
        #expect(again.earlierReplicaIDs == [earlier, replica])
        again.close()
        let last = try reopen(dir)
        defer { last.close() }
        #expect(last.replicaID == third)
        #expect(last.earlierReplicaIDs == [earlier, replica])
        #expect(last.ownReplicaIDs == [earlier, replica, third])
        #expect(try last.notes().count == 3)
    }

    @Test func anIdTheStoreHasUsedIsRefusedAndNothingChanges() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.saveEnrolment(Self.first, token: "token-1")
        let earlier = store.replicaID
        let replica = try ReplicaID("k3v9q2m7x1ab")
        try store.reenrol(as: replica, enrolment: Self.second, token: "token-2")

        for reused in [replica, earlier] {
            #expect(throws: LocalStoreError.invalidInput("a re-enrolment needs a replica id this store has not used")) {
                try store.reenrol(as: reused, enrolment: Self.first, token: "token-3")
            }
            #expect(store.replicaID == replica)
            #expect(store.earlierReplicaIDs == [earlier])
            #expect(try store.enrolment()?.token == "token-2")
        }
        store.close()
        let again = try reopen(dir)
        defer { again.close() }
        #expect(again.replicaID == replica)
        #expect(again.earlierReplicaIDs == [earlier])
        #expect(try again.enrolment()?.enrolment == Self.second)
        // Reopened, the store still knows which ids it used.
        #expect(throws: LocalStoreError.self) {
            try again.reenrol(as: earlier, enrolment: Self.first, token: "token-3")
        }
    }

    @Test func aValueWrittenUnderTheEarlierIdIsMineInAConflict() async throws {
        let note = try await SyncedNote()
        defer { note.close() }
        let earlier = note.store.replicaID
        try note.store.editNote(id: note.id, NoteChanges(place: "library"))
        try await note.store.acknowledgeEverything()
        let replica = try ReplicaID("k3v9q2m7x1ab")
        try note.store.reenrol(as: replica, enrolment: Self.second, token: "token-2")
        let theirs = note.base.updating(["place": .string("station")], by: OtherDevice.larsPhone)
        try await note.store.pull([theirs], cursor: "1")

        let candidates = try note.store.conflict(id: note.id).fields[0].candidates
        let mine = try #require(candidates.first { $0.mine })
        #expect(mine.replica == earlier.rawValue)
        #expect(mine.value == "library")
        #expect(candidates.filter(\.mine).count == 1)

        #expect(try note.store.resolve(id: note.id, field: "place", choice: .mine) == nil)
        #expect(try note.store.note(id: note.id).place == "library")
        let resolved = try await note.store.queuedRecord(id: note.id)
        #expect(resolved.writes(of: "place").map(\.dot.replica) == [replica])
        #expect(resolved.merged(with: theirs) == resolved)
    }
}
