import SyncProtocolTesting
import Testing

@testable import SyncProtocol

@Suite("Sync engine: interruptions, duplicates, retries")
struct EngineResilienceTests {
    @Test func interruptedAfterThePushResumesWithoutDuplicateChanges() async throws {
        let world = EngineWorld()
        let laptop = try await world.device("laptop")
        for index in 0..<4 { try await laptop.writeNote("n\(index)") }
        // The server applies the batch, then the device fails to record the acknowledgement.
        await laptop.storage.failNext(.acknowledge)
        await #expect(throws: SyncError.self) { try await laptop.sync() }
        #expect(await laptop.storage.pendingChangeCount() == 4)
        let sequence = await world.server.sequence(of: EngineWorld.team)
        #expect(sequence == 4)

        let summary = try await laptop.sync()
        #expect(summary.sent == 4)
        #expect(await laptop.storage.pendingChangeCount() == 0)
        // Pushing the same states again changed nothing on the server.
        #expect(await world.server.sequence(of: EngineWorld.team) == sequence)
        await world.expectConverged([laptop])
    }

    @Test func lostPushAnswerIsRetriedAndMergesIdempotently() async throws {
        let world = EngineWorld()
        let laptop = try await world.device("laptop")
        try await laptop.writeNote("n1")
        await laptop.transport.schedule(.dropResponse, on: .push, call: 1)
        let summary = try await laptop.sync()
        #expect(summary.retries == 1)
        #expect(await laptop.transport.callCount(.push) == 2)
        #expect(await world.server.sequence(of: EngineWorld.team) == 1)
        #expect(await world.sleeps.delays.count == 1)
        await world.expectConverged([laptop])
    }

    @Test func duplicatedRequestsChangeNothing() async throws {
        let world = EngineWorld()
        let laptop = try await world.device("laptop", batch: 2, page: 2)
        let phone = try await world.device("phone", batch: 2, page: 2)
        await laptop.transport.setProfile(.init(duplicateRate: 1))
        await phone.transport.setProfile(.init(duplicateRate: 1))
        for index in 0..<5 { try await laptop.writeNote("l\(index)") }
        for index in 0..<3 { try await phone.writeNote("p\(index)") }
        try await laptop.sync()
        try await phone.sync()
        try await laptop.sync()
        #expect(await world.server.sequence(of: EngineWorld.team) == 8)
        await world.expectConverged([laptop, phone])
    }

    @Test func interruptedPullResumesFromTheLastAppliedPage() async throws {
        let world = EngineWorld()
        let phone = try await world.device("phone")
        for index in 0..<6 { try await phone.writeNote("p\(index)") }
        try await phone.sync()

        let laptop = try await world.device("laptop", page: 2, retry: RetryPolicy(maxAttempts: 1))
        // Page 1 applies, page 2 is lost for good (no retries allowed).
        await laptop.transport.schedule(.failBeforeDelivery(retryable: true), on: .pull, call: 2)
        let error = try await #require(throws: SyncError.self) { try await laptop.sync() }
        #expect(error.phase == .pulling && error.isTransient && error.partial.pages == 1)
        let cursor = try await laptop.storage.pullCursor()
        #expect(cursor == "2")
        #expect(await laptop.storage.records().count == 2)

        let summary = try await laptop.sync()
        #expect(summary.received == 4 && summary.pages == 2)
        await world.expectConverged([laptop, phone])
    }

    @Test func cursorDoesNotMoveWhenApplyingAPageFails() async throws {
        let world = EngineWorld()
        let phone = try await world.device("phone")
        for index in 0..<3 { try await phone.writeNote("p\(index)") }
        try await phone.sync()
        let laptop = try await world.device("laptop")
        await laptop.storage.failNext(.apply)
        let error = try await #require(throws: SyncError.self) { try await laptop.sync() }
        guard case .storage = error.reason else {
            Issue.record("expected a storage error, got \(error)")
            return
        }
        #expect(try await laptop.storage.pullCursor() == nil)
        #expect(await laptop.storage.records().isEmpty)
        try await laptop.sync()
        await world.expectConverged([laptop, phone])
    }

    @Test func backoffGrowsExponentiallyAndGivesUpAfterTheLastAttempt() async throws {
        let world = EngineWorld()
        let policy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(100), maxDelay: .seconds(10))
        let laptop = try await world.device("laptop", retry: policy)
        try await laptop.writeNote("n1")
        for call in 1...4 {
            await laptop.transport.schedule(.failBeforeDelivery(retryable: true), on: .push, call: call)
        }
        let error = try await #require(throws: SyncError.self) { try await laptop.sync() }
        #expect(error.attempts == 4 && error.phase == .pushing && error.isTransient)
        // Jitter fixed at 0.5: 75% of 100, 200, 400 ms.
        #expect(await world.sleeps.delays == [.milliseconds(75), .milliseconds(150), .milliseconds(300)])
        #expect(await laptop.storage.pendingChangeCount() == 1)
        try await laptop.sync()
        #expect(await laptop.storage.pendingChangeCount() == 0)
    }

    @Test func retryAfterFromTheServerIsHonoured() async throws {
        let world = EngineWorld()
        let laptop = try await world.device("laptop")
        let busy = ErrorBody(code: .unavailable, message: "restarting", retryAfterSeconds: 7)
        await laptop.transport.schedule(.error(busy), on: .pull, call: 1)
        let log = ProgressLog()
        try await laptop.engine.sync { await log.append($0) }
        #expect(await world.sleeps.delays == [.seconds(7)])
        let waiting = await log.reports.filter { $0.phase == .waitingToRetry }
        #expect(waiting.count == 1 && waiting.first?.retry?.delay == .seconds(7))
    }

    @Test func permanentErrorsAreNotRetried() async throws {
        let world = EngineWorld()
        let laptop = try await world.device("laptop")
        try await laptop.writeNote("n1")
        await world.server.revokeDevice("laptop")
        let error = try await #require(throws: SyncError.self) { try await laptop.sync() }
        #expect(error.errorBody?.code == .deviceRevoked)
        #expect(!error.isTransient && error.attempts == 1)
        #expect(await world.sleeps.delays.isEmpty)
        #expect(await laptop.storage.pendingChangeCount() == 1)
    }

    @Test func anotherTeamIsForbidden() async throws {
        let world = EngineWorld()
        await world.server.createTeam("south")
        let replica = try ReplicaID("stranger")
        await world.server.registerDevice("stranger", replica: replica, teams: ["south"])
        let storage = InMemoryReplicaStorage(replica: replica)
        let engine = SyncEngine(
            storage: storage, transport: InMemoryTransport(server: world.server, device: "stranger"),
            configuration: .init(team: EngineWorld.team, replica: replica), environment: world.environment
        )
        let error = try await #require(throws: SyncError.self) { try await engine.sync() }
        #expect(error.errorBody?.code == .forbiddenTeam)
    }

    @Test func tooLargeBatchesAreSplit() async throws {
        let world = EngineWorld(
            limits: ServerLimits(
                maxBodyBytes: 1 << 20, maxBatchRecords: 100, maxPageRecords: 100, defaultPageRecords: 100))
        let laptop = try await world.device("laptop", batch: 8)
        try await laptop.sync()
        // The server lowers its limit after the device negotiated: the device learns it from 413s.
        await world.server.setLimits(
            ServerLimits(
                maxBodyBytes: 1 << 20, maxBatchRecords: 3, maxPageRecords: 100, defaultPageRecords: 100))
        for index in 0..<8 { try await laptop.writeNote("n\(index)") }
        let summary = try await laptop.sync()
        #expect(summary.sent == 8)
        #expect(await world.server.records(in: EngineWorld.team).count == 8)
        #expect(await laptop.storage.pendingChangeCount() == 0)
    }

    @Test func expiredCursorRestartsThePullFromTheBeginning() async throws {
        let world = EngineWorld()
        let laptop = try await world.device("laptop")
        for index in 0..<3 { try await laptop.writeNote("n\(index)") }
        try await laptop.sync()
        let expired = ErrorBody(code: .cursorExpired, message: "log compacted")
        let pulls = await laptop.transport.callCount(.pull)
        await laptop.transport.schedule(.error(expired), on: .pull, call: pulls + 1)
        let summary = try await laptop.sync()
        #expect(summary.received == 3)
        await world.expectConverged([laptop])
    }

    @Test func cancellationStopsTheSyncAndLeavesAConsistentState() async throws {
        let world = EngineWorld()
        let phone = try await world.device("phone")
        for index in 0..<6 { try await phone.writeNote("p\(index)") }
        try await phone.sync()
        let laptop = try await world.device("laptop", page: 1)
        let task = Task {
            try await laptop.engine.sync { progress in
                if progress.pagesPulled == 2 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        let result = await task.result
        let cursorAfterCancel = try await laptop.storage.pullCursor()
        let held = await laptop.storage.records().count
        switch result {
        case .success:
            // Cancellation is cooperative; a finished sync is acceptable, but then everything is held.
            #expect(held == 6)
        case .failure(let error):
            #expect((error as? SyncError).map { if case .cancelled = $0.reason { true } else { false } } == true)
            #expect(cursorAfterCancel == String(held))
        }
        try await laptop.sync()
        await world.expectConverged([laptop, phone])
    }
}
