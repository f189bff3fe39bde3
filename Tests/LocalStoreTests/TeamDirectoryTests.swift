import Foundation
import LocalStore
import SyncProtocol
import Testing

@Suite("Team directory: naming the writers of conflict candidates")
struct TeamDirectoryTests {
    /// Hands every pending change of `from` to `to`, as a pull page would.
    static func deliver(from: LocalStore, to: LocalStore, cursor: String) async throws {
        let entries = try await from.pendingChanges(after: nil, limit: 1_000)
        _ = try await to.apply(page: PullPage(records: entries.map(\.record), nextCursor: cursor, more: false))
    }

    @Test func candidatesAreNamedFromTheSavedDirectory() async throws {
        let (dirA, dirB) = (try TemporaryDirectory("dir-a"), try TemporaryDirectory("dir-b"))
        let mette = try makeStore(dirA, adviser: "mette")
        defer { mette.close() }
        let lars = try makeStore(dirB, adviser: "lars")
        defer { lars.close() }
        try mette.addSubject(NewSubject(reference: "ung-1"))
        let note = try mette.addNote(NewNote(subjectReference: "ung-1", kind: .walk, body: "Walked to school"))
        try await Self.deliver(from: mette, to: lars, cursor: "1")
        // The same field changed on both devices, offline: a conflict that keeps both values.
        _ = try mette.editNote(id: note.id, NoteChanges(kind: .phone))
        _ = try lars.editNote(id: note.id, NoteChanges(kind: .sms))
        try await Self.deliver(from: lars, to: mette, cursor: "2")

        func candidates() throws -> [ConflictCandidate] {
            try #require(try mette.conflicts().first { $0.id == note.id }?.fields.first { $0.field == "kind" })
                .candidates
        }
        let before = try candidates()
        let own = try #require(before.first { $0.mine })
        #expect(own.adviser == "mette" && own.device == "laptop", "this device names itself")
        let theirs = try #require(before.first { !$0.mine })
        #expect(theirs.replica == lars.replicaID.rawValue)
        #expect(theirs.adviser == nil && theirs.device == nil, "unknown before a directory is saved")

        let directory = TeamDirectory(devices: [
            TeamDevice(adviser: "lars", device: "phone", replica: lars.replicaID),
            TeamDevice(adviser: "mette", device: "old-laptop", replica: ReplicaID.random(), revoked: true),
        ])
        try mette.saveTeamDirectory(directory)
        #expect(try mette.teamDirectory() == directory)

        let after = try candidates()
        let named = try #require(after.first { !$0.mine })
        #expect(named.adviser == "lars" && named.device == "phone" && named.replica == lars.replicaID.rawValue)
        #expect(after.first { $0.mine } == own, "own candidates keep the store's own names")
        #expect(try mette.conflict(id: note.id).fields.first?.candidates == after)

        // It survives closing and reopening the encrypted store.
        mette.close()
        let reopened = try reopen(dirA)
        defer { reopened.close() }
        #expect(try reopened.teamDirectory() == directory)
    }
}
