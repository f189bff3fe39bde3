import Foundation
import Logging
import SyncServer

/// Where simulated devices keep their records.
public enum StoreKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The kit's in-memory replica storage: fast, for runs of thousands of devices.
    case memory
    /// Real encrypted `LocalStore`s in a temporary directory: a handful of devices.
    case encrypted
}

/// What the advisers do.
public enum Workload: String, Sendable, Hashable, Codable, CaseIterable {
    /// Notes, edits, tags, follow-ups, deletes, conflict resolutions and purges, each team on its own.
    case classic
    /// The classic workload, plus protocol version 2 between partner teams: subjects shared with consent and
    /// unshared, notes shared within their subject's scope, handovers to another team with and without an
    /// overlap that ends on a later day.
    case scopes
}

/// Everything that determines a run. The same options (and seed) give the same run, event for event.
public struct SimulationOptions: Sendable {
    /// The seed of every random choice.
    public var seed: UInt64
    /// Adviser devices (each team also gets a console, which is not counted here).
    public var devices: Int
    /// Local operations per adviser device, after the initial caseloads.
    public var operationsPerDevice: Int
    /// The devices' stores.
    public var storeKind: StoreKind
    /// The faults of the active phase.
    public var faults: FaultProfile
    /// The faults' name, for the replay command (`custom` when changed by hand).
    public var faultsName: String
    /// The server's merge; swap it to check that the oracle catches a wrong one.
    public var merge: MergeFunction
    /// What the advisers do.
    public var workload: Workload
    /// How many advisers a team has (each team's size is drawn from this range).
    public var advisersPerTeam: ClosedRange<Int>
    /// A deliberately broken server (for testing the oracle): teams that leave a record's scope are never told.
    public var serverForgetsNarrowing: Bool
    /// Deliberately broken devices (for testing the oracle): they ignore the removals of pulled pages.
    public var devicesIgnoreRemovals: Bool
    /// Whether messages travel as JSON bytes (strict decoding, byte counts) or as values.
    public var encodeMessages: Bool
    /// Mean virtual time between a device's operations.
    public var meanOperationGap: Int64
    /// Mean virtual time between a device's background syncs.
    public var meanSyncInterval: Int64
    /// Probability that a local operation triggers a sync soon after.
    public var syncAfterWrite: Double
    /// Purges per adviser operation, issued by the team's console.
    public var purgeRate: Double
    /// Records per push batch and per pull page.
    public var batchSize: Int
    public var pageSize: Int
    /// Syncs of every device at quiescence before giving up on convergence.
    public var maxQuiescenceRounds: Int
    /// Where encrypted stores go (a fresh temporary directory when `nil`); removed after the run.
    public var directory: URL?
    /// The server's database: `nil` for SQLite in a temporary file, or a `postgres://` URL of a PostgreSQL server
    /// on which the run creates a database of its own (the user needs `CREATEDB`) and drops it afterwards.
    public var serverDatabase: String?
    /// Sees every line of the event log (tracing); `nil` keeps only the hash and the last lines.
    public var trace: (@Sendable (String) -> Void)?
    /// For progress messages (never for events).
    public var logger: Logger

    /// Creates options with the defaults of `fieldcli simulate`.
    public init(
        seed: UInt64 = 1, devices: Int = 20, operationsPerDevice: Int = 50, storeKind: StoreKind = .memory,
        faults: FaultProfile = .standard, faultsName: String = "standard", merge: MergeFunction = .standard,
        workload: Workload = .scopes, advisersPerTeam: ClosedRange<Int> = 6...11,
        serverForgetsNarrowing: Bool = false, devicesIgnoreRemovals: Bool = false,
        encodeMessages: Bool = true, meanOperationGap: Int64 = 10 * 60_000, meanSyncInterval: Int64 = 30 * 60_000,
        syncAfterWrite: Double = 0.2, purgeRate: Double = 0.005, batchSize: Int = 50, pageSize: Int = 100,
        maxQuiescenceRounds: Int = 20, directory: URL? = nil, serverDatabase: String? = nil,
        trace: (@Sendable (String) -> Void)? = nil,
        logger: Logger = Logger(label: "fieldsync.simulator")
    ) {
        self.seed = seed
        self.devices = max(1, devices)
        self.operationsPerDevice = max(0, operationsPerDevice)
        self.storeKind = storeKind
        self.faults = faults
        self.faultsName = faultsName
        self.merge = merge
        self.workload = workload
        self.advisersPerTeam = max(1, advisersPerTeam.lowerBound)...max(1, advisersPerTeam.upperBound)
        self.serverForgetsNarrowing = serverForgetsNarrowing
        self.devicesIgnoreRemovals = devicesIgnoreRemovals
        self.encodeMessages = encodeMessages
        self.meanOperationGap = meanOperationGap
        self.meanSyncInterval = meanSyncInterval
        self.syncAfterWrite = syncAfterWrite
        self.purgeRate = purgeRate
        self.batchSize = batchSize
        self.pageSize = pageSize
        self.maxQuiescenceRounds = maxQuiescenceRounds
        self.directory = directory
        self.serverDatabase = serverDatabase
        self.trace = trace
        self.logger = logger
    }

    /// The one command that replays this run.
    public var replayCommand: String {
        var parts = [
            "fieldcli simulate", "--seed \(seed)", "--devices \(devices)", "--ops \(operationsPerDevice)",
        ]
        if storeKind != .memory { parts.append("--store-kind \(storeKind.rawValue)") }
        if faultsName != "standard" { parts.append("--faults \(faultsName)") }
        if !merge.isStandard { parts.append("--merge \(merge.name)") }
        if workload != .scopes { parts.append("--workload \(workload.rawValue)") }
        if advisersPerTeam != 6...11 {
            parts.append("--team-size \(advisersPerTeam.lowerBound)-\(advisersPerTeam.upperBound)")
        }
        if serverForgetsNarrowing { parts.append("--server-forgets-narrowing") }
        if devicesIgnoreRemovals { parts.append("--devices-ignore-removals") }
        if !encodeMessages { parts.append("--no-encode") }
        if let serverDatabase, let location = try? StorageLocation(parsing: serverDatabase) {
            // Without its password, if it has one.
            parts.append("--server-database \(location.description)")
        }
        return parts.joined(separator: " ")
    }
}
