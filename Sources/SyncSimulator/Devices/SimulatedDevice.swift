import Foundation
import SyncProtocol

/// The engine's view of time, randomness and batch ids for one device: virtual and seeded.
final class DeviceEnvironment: @unchecked Sendable {
    private let lock = NSLock()
    private var random: SimulationRandom
    private var batches = 0
    private let name: String
    let clock: VirtualClock

    init(name: String, seed: SimulationRandom, clock: VirtualClock) {
        self.name = name
        self.random = seed
        self.clock = clock
    }

    func unit() -> Double {
        lock.withLock { random.unit() }
    }

    func batchID() -> String {
        lock.withLock {
            batches += 1
            return "b-\(name)-\(batches)"
        }
    }

    func environment(device: Int, hub: DeviceHub) -> SyncEnvironment {
        SyncEnvironment(
            sleep: { duration in try await hub.sleep(device: device, for: duration) },
            random: { self.unit() },
            now: { self.clock.instant },
            makeBatchID: { self.batchID() }
        )
    }
}

/// The simulation's virtual time, readable from device tasks (the engine times its syncs with it).
final class VirtualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var milliseconds: Int64 = 0
    private let origin = ContinuousClock.now

    var now: Int64 {
        get { lock.withLock { milliseconds } }
        set { lock.withLock { milliseconds = newValue } }
    }

    /// The virtual time as an instant of the continuous clock (for `SyncEnvironment.now`).
    var instant: ContinuousClock.Instant {
        origin.advanced(by: .milliseconds(now))
    }
}

/// The scheduler's record of one device.
final class SimulatedDevice {
    typealias Engine = SyncEngine<DeviceStorage, SimulatedTransport>

    let spec: Roster.DeviceSpec
    let storage: DeviceStorage
    let environment: DeviceEnvironment
    var engine: Engine
    /// The workload's random stream for this device.
    var random: SimulationRandom
    var online = true
    var partitioned = false
    var syncing = false
    var syncQueued = false
    /// When the queued sync is due, and the number of the latest request (older ones are void).
    var syncDue: Int64 = 0
    var syncGeneration = 0
    var operationsLeft = 0
    var task: Task<Void, Never>?
    /// The virtual time the current sync started.
    var syncStarted: Int64 = 0

    init(
        spec: Roster.DeviceSpec, storage: DeviceStorage, environment: DeviceEnvironment, engine: Engine,
        random: SimulationRandom
    ) {
        self.spec = spec
        self.storage = storage
        self.environment = environment
        self.engine = engine
        self.random = random
    }

    var index: Int { spec.index }
    var name: String { spec.name }
    var isConsole: Bool { spec.role == .console }
}
