import Foundation
import SyncProtocolTesting
import Testing

@testable import SyncProtocol

/// A team of in-memory devices around one in-memory server, with an instant, recorded clock.
struct EngineWorld {
    static let team = "north"

    let server: InMemorySyncServer
    let sleeps = SleepRecorder()

    init(limits: ServerLimits = .standard) {
        server = InMemorySyncServer(limits: limits)
    }

    /// An environment whose sleeps return at once (and are recorded) and whose jitter is fixed.
    var environment: SyncEnvironment {
        let sleeps = self.sleeps
        let counter = BatchCounter()
        return SyncEnvironment(
            sleep: { await sleeps.record($0) },
            random: { 0.5 },
            makeBatchID: { counter.next() }
        )
    }

    /// Registers a device and returns its store and a fault-injecting transport around the wire transport.
    func device(
        _ name: String, batch: Int = 200, page: Int? = nil, retry: RetryPolicy = RetryPolicy(), seed: UInt64 = 0
    ) async throws -> Device {
        let replica = try ReplicaID(name)
        await server.registerDevice(name, replica: replica, teams: [Self.team])
        let storage = InMemoryReplicaStorage(replica: replica)
        let transport = FaultInjectingTransport(wrapping: InMemoryTransport(server: server, device: name), seed: seed)
        let engine = SyncEngine(
            storage: storage, transport: transport,
            configuration: .init(
                team: Self.team, replica: replica, maxBatchRecords: batch, pageLimit: page,
                retry: retry),
            environment: environment
        )
        return Device(storage: storage, transport: transport, engine: engine)
    }

    struct Device {
        let storage: InMemoryReplicaStorage
        let transport: FaultInjectingTransport<InMemoryTransport>
        let engine: SyncEngine<InMemoryReplicaStorage, FaultInjectingTransport<InMemoryTransport>>

        @discardableResult
        func sync() async throws -> SyncSummary {
            try await engine.sync()
        }

        @discardableResult
        func writeNote(_ id: String, body: String = "Met at the station.\n") async throws -> Record {
            try await storage.create(
                collection: "notes", id: id,
                values: [
                    "subject": .reference("y-417"), "kind": .string("walk"),
                    "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_795_000_000_000)),
                    "body": .text(body), "tags": .tags(["housing"]),
                ], schema: Schemas.notes)
        }
    }

    /// Expects every device and the server to hold exactly the same records.
    func expectConverged(_ devices: [Device], sourceLocation: SourceLocation = #_sourceLocation) async {
        let reference = await server.records(in: Self.team)
        for device in devices {
            let records = await device.storage.records()
            #expect(
                records == reference, "device \(device.storage.replica) differs from the server",
                sourceLocation: sourceLocation)
        }
    }
}

/// Records requested sleeps instead of sleeping.
actor SleepRecorder {
    private(set) var delays: [Duration] = []

    func record(_ delay: Duration) {
        delays.append(delay)
    }
}

/// Deterministic batch ids.
final class BatchCounter: Sendable {
    private let state = LockedCounter()

    func next() -> String {
        "b-\(state.increment())"
    }
}

/// A counter safe to share between tasks.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

/// Collects progress reports.
actor ProgressLog {
    private(set) var reports: [SyncProgress] = []

    func append(_ progress: SyncProgress) {
        reports.append(progress)
    }
}

func noteKey(_ id: String) -> RecordKey {
    RecordKey(collection: "notes", id: id)
}
