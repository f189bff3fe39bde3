import SyncProtocolTesting
import Testing

@testable import SyncProtocol

/// The engine requests the next page while it applies the current one (`prefetchPages`). These tests check
/// that the overlap changes nothing a store can see: pages are applied in order, each with its own cursor,
/// a failed prefetch is retried like any request, and a failed apply leaves the prefetched page unapplied.
@Suite("Sync engine: page prefetch")
struct EnginePrefetchTests {
    /// Forwards to an in-memory store and logs the cursor of every applied page.
    struct CursorLoggingStorage: ReplicaStorage {
        let base: InMemoryReplicaStorage
        let log = CursorLog()

        func pendingChanges(after marker: OutboxMarker?, limit: Int) async throws -> [OutboxEntry] {
            try await base.pendingChanges(after: marker, limit: limit)
        }
        func acknowledge(_ acknowledgements: [PushAcknowledgement]) async throws -> ApplyOutcome {
            try await base.acknowledge(acknowledgements)
        }
        func pullCursor() async throws -> String? { try await base.pullCursor() }
        func apply(page: PullPage) async throws -> ApplyOutcome {
            if await log.shouldFail() { throw InMemoryStorageError() }
            let outcome = try await base.apply(page: page)
            await log.append(page.nextCursor)
            return outcome
        }
        func pendingChangeCount() async throws -> Int { try await base.pendingChangeCount() }
    }

    actor CursorLog {
        private(set) var cursors: [String] = []
        /// The number (from 1) of the apply call to fail, once.
        var failingApply: Int?
        private var applies = 0

        func append(_ cursor: String) { cursors.append(cursor) }
        func failApply(number: Int) { failingApply = number }
        func shouldFail() -> Bool {
            applies += 1
            guard applies == failingApply else { return false }
            failingApply = nil
            return true
        }
    }

    struct InMemoryStorageError: Error {}

    typealias Engine = SyncEngine<CursorLoggingStorage, FaultInjectingTransport<InMemoryTransport>>

    /// A server holding `notes` notes from a phone, and a new laptop that pulls `page` records per page.
    func world(
        notes: Int, page: Int, prefetch: Bool, retry: RetryPolicy = RetryPolicy()
    ) async throws
        -> (EngineWorld, CursorLoggingStorage, FaultInjectingTransport<InMemoryTransport>, Engine)
    {
        let world = EngineWorld()
        let phone = try await world.device("phone")
        for index in 0..<notes { try await phone.writeNote("p\(index)") }
        try await phone.sync()
        let replica = try ReplicaID("laptop")
        await world.server.registerDevice("laptop", replica: replica, teams: [EngineWorld.team])
        let storage = CursorLoggingStorage(base: InMemoryReplicaStorage(replica: replica))
        let transport = FaultInjectingTransport(wrapping: InMemoryTransport(server: world.server, device: "laptop"))
        let engine = SyncEngine(
            storage: storage, transport: transport,
            configuration: .init(
                team: EngineWorld.team, replica: replica, pageLimit: page, retry: retry,
                prefetchPages: prefetch),
            environment: world.environment)
        return (world, storage, transport, engine)
    }

    @Test(arguments: [true, false])
    func pagesAreAppliedInOrderWithTheirCursors(prefetch: Bool) async throws {
        let (world, storage, transport, engine) = try await world(notes: 7, page: 2, prefetch: prefetch)
        let summary = try await engine.sync()
        #expect(summary.received == 7 && summary.pages == 4)
        // The in-memory server's cursor is the change sequence of the page's last record.
        #expect(await storage.log.cursors == ["2", "4", "6", "7"])
        // No request is wasted: one per page, the last page says there is no more.
        #expect(await transport.callCount(.pull) == 4)
        #expect(await storage.base.records() == world.server.records(in: EngineWorld.team))
    }

    @Test func aFailedPrefetchIsRetried() async throws {
        let (world, storage, transport, engine) = try await world(notes: 7, page: 2, prefetch: true)
        // The second and third pull requests are prefetches; both fail before reaching the server.
        await transport.schedule(.failBeforeDelivery(retryable: true), on: .pull, call: 2)
        await transport.schedule(.dropResponse, on: .pull, call: 3)
        let summary = try await engine.sync()
        #expect(summary.retries == 2 && summary.pages == 4)
        #expect(await storage.log.cursors == ["2", "4", "6", "7"])
        #expect(await storage.base.records() == world.server.records(in: EngineWorld.team))
    }

    @Test func aFailedApplyLeavesThePrefetchedPageUnapplied() async throws {
        let (world, storage, _, engine) = try await world(notes: 7, page: 2, prefetch: true)
        // The second page fails to apply while the third is already requested.
        await storage.log.failApply(number: 2)
        let error = try await #require(throws: SyncError.self) { try await engine.sync() }
        #expect(error.phase == .pulling && error.partial.pages == 1)
        #expect(try await storage.pullCursor() == "2")
        #expect(await storage.base.records().count == 2)
        // The next sync carries on from the last applied page.
        let summary = try await engine.sync()
        #expect(summary.received == 5)
        #expect(await storage.log.cursors == ["2", "4", "6", "7"])
        #expect(await storage.base.records() == world.server.records(in: EngineWorld.team))
    }
}
