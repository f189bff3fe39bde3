import Foundation
import LocalStore
import SyncProtocol
import Testing

/// A store the server refused as rolled back (restored from a backup) continues as a new replica once it has
/// enrolled again: its queued records are re-made against the server's states (README §11.3 of the protocol).
@Suite("Continuing as a new replica")
struct ContinuationStoreTests {
    static let first = Enrolment(serverURL: "https://127.0.0.1:8443", deviceID: "dev-1", team: "north")
    static let second = Enrolment(serverURL: "https://127.0.0.1:8443", deviceID: "dev-2", team: "north")
    let fresh = try! ReplicaID("fresh-after-restore")

    @Test func aRolledBackStoreReMakesItsQueuedWritesOnceEnrolledAgain() async throws {
        let synced = try await SyncedNote()
        defer { synced.close() }
        let store = synced.store
        try store.saveEnrolment(Self.first, token: "token-1")
        let old = store.replicaID
        let key = RecordKey(collection: synced.base.collection, id: synced.id)
        // The lost future: after the backup, this replica changed the text and the server kept it.
        let server = synced.base.updating(["body": .text("Lost future\n")], by: old)
        // After the restore the store counts up again from the backup: the same dot for another text.
        try store.editNote(id: synced.id, NoteChanges(body: "After the restore\n"))
        let restored = try await store.queuedRecord(id: synced.id)
        #expect(restored.writes(of: "body").map(\.dot) == server.writes(of: "body").map(\.dot))

        try await store.replicaRolledBack(try ReplicaID("someone-else"))
        #expect(try store.rolledBackReplica() == nil, "only the store's own current id is remembered")
        try await store.replicaRolledBack(old)
        #expect(try store.rolledBackReplica() == old)
        // Under the refused id there is nothing to continue: the device must enrol again first.
        #expect(try await store.recordsToContinue().isEmpty)

        try store.reenrol(as: fresh, enrolment: Self.second, token: "token-2")
        #expect(try await store.recordsToContinue() == [key])
        try await store.continueRecords(serverStates: [key: server])
        #expect(try store.rolledBackReplica() == nil)
        #expect(try await store.recordsToContinue().isEmpty)

        let queued = try await store.queuedRecord(id: synced.id)
        try queued.checkPushClaims(by: fresh, earlier: [old], stored: server)
        #expect(Set(queued.writes(of: "body").map(\.value)) == [.text("Lost future\n"), .text("After the restore\n")])
        #expect(queued.writes(of: "body").contains { $0.dot.replica == fresh })
        // What both sides had at the backup stays one write, under its old dot: the acknowledged clock said so.
        #expect(queued.writes(of: "place") == synced.base.writes(of: "place"))
        #expect(try store.note(id: synced.id).hasConflict)
    }

    /// The clock the server confirmed is kept from acknowledged pushes and pulled states, and survives a reopen:
    /// a restore made later still knows which own operations the server had.
    @Test func theAcknowledgedClockDecidesWhatIsReMade() async throws {
        let synced = try await SyncedNote()
        let dir = synced.dir
        let store = synced.store
        try store.saveEnrolment(Self.first, token: "token-1")
        let old = store.replicaID
        let key = RecordKey(collection: synced.base.collection, id: synced.id)
        // The store overwrites its own acknowledged value: with the acknowledged clock this stays an overwrite.
        try store.editNote(id: synced.id, NoteChanges(place: "library"))
        try await store.replicaRolledBack(old)
        store.close()

        let again = try reopen(dir)
        defer { again.close() }
        #expect(try again.rolledBackReplica() == old)
        try again.reenrol(as: fresh, enrolment: Self.second, token: "token-2")
        try await again.continueRecords(serverStates: [key: synced.base])
        let queued = try await again.queuedRecord(id: synced.id)
        try queued.checkPushClaims(by: fresh, earlier: [old], stored: synced.base)
        #expect(queued.writes(of: "place").map(\.value) == [.string("library")])
        #expect(!queued.isInConflict)
    }
}
