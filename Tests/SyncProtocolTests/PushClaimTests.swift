import Foundation
import SyncProtocolTesting
import Testing

@testable import SyncProtocol

/// The push rule of README §11.3 in the reference server (``InMemorySyncServer``) and as the engine reports
/// it. The HTTP server calls the same ``Record/checkPushClaims(by:stored:)``; its tests are in
/// SyncServerTests (`ClockClaimAPITests`).
@Suite("Push rule: a push advances only its own replica")
struct PushClaimTests {
    static let maxCounter = ProtocolLimits.maxCounter

    @Test func theRuleComparesWithTheStoredStateOfTheSameRecord() throws {
        let (anna, lars) = (try ReplicaID("anna"), try ReplicaID("lars"))
        var busy = Fixture.note(by: lars)
        for kind in ["sms", "phone", "visit", "walk"] { busy = busy.updating(["kind": .string(kind)], by: lars) }
        let quiet = try Record.create(
            collection: "notes", id: "n-quiet", values: Fixture.noteValues, by: lars, schema: Schemas.notes)
        #expect(busy.clock[lars] == 5)
        // Lars made 5 operations on his busiest note but 1 on the quiet one: claiming 2 on it is refused,
        // although a replica-wide maximum (5) would allow it.
        var claim = quiet.updating(["place": .string("school")], by: anna)
        claim.clock[lars] = 2
        #expect(
            throws: PushClaimError(
                kind: .unreceivedWrites, key: quiet.key, replica: lars, claimed: 2,
                received: 1)
        ) {
            try claim.checkPushClaims(by: anna, stored: quiet)
        }
        // Lars himself may advance his own entry; Anna may relay it once the server holds it.
        var own = quiet
        own.clock[lars] = Self.maxCounter
        try own.checkPushClaims(by: lars, stored: quiet)
        try claim.checkPushClaims(by: anna, stored: claim)
    }

    /// A store put back from a copy and edited again counts up past the server's entry: the clock looks fine,
    /// but its new dot names another write than the server's, and that gives it away.
    @Test func aReusedDotIsRefusedAsARollBackEvenWhenTheClockCaughtUp() throws {
        let anna = try ReplicaID("anna")
        let synced = Fixture.note(by: anna)
        let first = synced.updating(["body": .text("v2-first")], by: anna)
        let second = synced.updating(["body": .text("v2-second")], by: anna)
        #expect(first.clock == second.clock)
        #expect(
            throws: PushClaimError(
                kind: .rolledBack, key: synced.key, replica: anna,
                claimed: second.clock[anna], received: first.clock[anna])
        ) {
            try second.checkPushClaims(by: anna, stored: first)
        }
        // The same write again (a retried push) and a later write on top are accepted.
        try first.checkPushClaims(by: anna, stored: first)
        try first.updating(["body": .text("v3")], by: anna).checkPushClaims(by: anna, stored: first)
        // A delete under the dot the server knows as an edit is a reuse too.
        #expect(throws: PushClaimError.self) {
            try synced.deleting(by: anna).checkPushClaims(by: anna, stored: first)
        }
    }

    @Test func theReferenceServerRefusesAnInflatedColleagueAndKeepsTheirLaterEdit() async throws {
        let world = EngineWorld()
        let anna = try await world.device("anna")
        let lars = try await world.device("lars")
        let note = try await lars.writeNote("n-shared")
        try await lars.sync()
        try await anna.sync()
        let held = try #require(await anna.storage.record(note.key))
        let sequence = await world.server.sequence(of: EngineWorld.team)

        var attack = held.updating(["kind": .string("phone")], by: anna.storage.replica)
        attack.clock[lars.storage.replica] = Self.maxCounter
        let batch = PushBatch(replica: anna.storage.replica, batchID: "b-attack", records: [attack])
        let claim = PushClaimError(
            kind: .unreceivedWrites, key: note.key, replica: lars.storage.replica, claimed: Self.maxCounter,
            received: 1)
        await #expect(throws: claim.errorBody(index: 0)) {
            try await world.server.push(batch, team: EngineWorld.team, device: "anna")
        }
        #expect(await world.server.sequence(of: EngineWorld.team) == sequence)
        #expect(await world.server.record(note.key, in: EngineWorld.team) == held)

        // Through the engine the refusal is a non-transient sync error carrying the server's error body.
        await anna.storage.save(attack)
        let error = try #require(await #expect(throws: SyncError.self) { try await anna.engine.sync() })
        #expect(error.errorBody?.code == .clockAhead && error.errorBody?.details?.path == "records[0].v")
        #expect(!error.isTransient && error.phase == .pushing)

        // Lars's later edit reaches the server and is not dominated by anything.
        let edit = try await lars.storage.update(note.key, values: ["place": .string("library")])
        try await lars.sync()
        #expect(await world.server.record(note.key, in: EngineWorld.team) == edit)
    }

    @Test func aDeviceRestoredFromABackupIsToldItRolledBack() async throws {
        let world = EngineWorld()
        let anna = try await world.device("anna")
        let note = try await anna.writeNote("n-restored")
        try await anna.sync()
        let backup = try #require(await anna.storage.record(note.key))
        for kind in ["sms", "phone"] { _ = try await anna.storage.update(note.key, values: ["kind": .string(kind)]) }
        try await anna.sync()
        let synced = try #require(await world.server.record(note.key, in: EngineWorld.team))
        #expect(synced.clock[anna.storage.replica] == 3)

        // The laptop is restored from the backup and edits the note again: the edit gets dot anna:2, which
        // the team already holds for another write.
        let restored = InMemoryReplicaStorage(replica: anna.storage.replica)
        await restored.save(backup)
        let again = try await restored.update(note.key, values: ["place": .string("library")])
        let batch = PushBatch(replica: anna.storage.replica, batchID: "b-restored", records: [again])
        let refused = PushClaimError(
            kind: .rolledBack, key: note.key, replica: anna.storage.replica, claimed: 2, received: 3)
        await #expect(throws: refused.errorBody(index: 0)) {
            try await world.server.push(batch, team: EngineWorld.team, device: "anna")
        }
        #expect(refused.errorBody(index: 0).code.httpStatus == 409)
        #expect(await world.server.record(note.key, in: EngineWorld.team) == synced)

        // Its engine stops with a typed reason carrying the server's body; nothing was written.
        let engine = SyncEngine(
            storage: restored, transport: InMemoryTransport(server: world.server, device: "anna"),
            configuration: .init(team: EngineWorld.team, replica: anna.storage.replica), environment: world.environment)
        let error = try #require(await #expect(throws: SyncError.self) { try await engine.sync() })
        guard case .replicaRolledBack(let body) = error.reason else {
            Issue.record("expected replicaRolledBack, got \(error.reason)")
            return
        }
        #expect(body.code == .replicaRolledBack && body.details?.id == note.id && !error.isTransient)
        #expect(error.errorBody == body && error.phase == .pushing)
        #expect(await world.server.record(note.key, in: EngineWorld.team) == synced)
    }
}
