/// How often things go wrong during the active phase of a run. At quiescence every fault is off.
///
/// Durations and intervals are virtual milliseconds; rates are probabilities per message (network),
/// per request (server storage errors, kills) or per local operation (going offline).
public struct FaultProfile: Sendable, Hashable, Codable {
    /// Probability that a request is lost on the way (the device times out).
    public var requestLoss: Double
    /// Probability that an answer is lost on the way back (the server did the work; the device times out).
    public var responseLoss: Double
    /// Probability that a request is delivered twice; the copy arrives later, often after newer requests.
    public var duplicate: Double
    /// The longest extra delay of a duplicate copy.
    public var duplicateDelay: Int64
    /// Shortest and mean one-way latency.
    public var minLatency: Int64
    public var meanLatency: Int64
    /// How long a device waits for an answer before it gives up on a request.
    public var requestTimeout: Int64
    /// Probability, after each local operation, that the device goes offline; and the mean time offline.
    public var offline: Double
    public var meanOffline: Int64
    /// Mean time between network partitions (0: none), the share of devices cut off and the mean duration.
    public var meanPartitionInterval: Int64
    public var partitionShare: Double
    public var meanPartition: Int64
    /// Probability per request that the device's app is killed while the request is in flight.
    public var kill: Double
    /// Mean time between server restarts (0: none) and the mean downtime.
    public var meanRestartInterval: Int64
    public var meanDowntime: Int64
    /// Probability per request reaching the server that its storage fails (`503 unavailable`).
    public var storageError: Double

    /// Creates a profile.
    public init(
        requestLoss: Double, responseLoss: Double, duplicate: Double, duplicateDelay: Int64, minLatency: Int64,
        meanLatency: Int64, requestTimeout: Int64, offline: Double, meanOffline: Int64, meanPartitionInterval: Int64,
        partitionShare: Double, meanPartition: Int64, kill: Double, meanRestartInterval: Int64,
        meanDowntime: Int64, storageError: Double
    ) {
        self.requestLoss = requestLoss
        self.responseLoss = responseLoss
        self.duplicate = duplicate
        self.duplicateDelay = duplicateDelay
        self.minLatency = minLatency
        self.meanLatency = meanLatency
        self.requestTimeout = requestTimeout
        self.offline = offline
        self.meanOffline = meanOffline
        self.meanPartitionInterval = meanPartitionInterval
        self.partitionShare = partitionShare
        self.meanPartition = meanPartition
        self.kill = kill
        self.meanRestartInterval = meanRestartInterval
        self.meanDowntime = meanDowntime
        self.storageError = storageError
    }

    /// A perfect network and server: only the workload's concurrency remains.
    public static let none = FaultProfile(
        requestLoss: 0, responseLoss: 0, duplicate: 0, duplicateDelay: 0, minLatency: 10, meanLatency: 40,
        requestTimeout: 30_000, offline: 0, meanOffline: 0, meanPartitionInterval: 0, partitionShare: 0,
        meanPartition: 0, kill: 0, meanRestartInterval: 0, meanDowntime: 0, storageError: 0)

    /// The default: an unreliable mobile network, devices offline for hours, the odd crash and restart.
    public static let standard = FaultProfile(
        requestLoss: 0.03, responseLoss: 0.03, duplicate: 0.03, duplicateDelay: 20_000, minLatency: 20,
        meanLatency: 150, requestTimeout: 30_000, offline: 0.04, meanOffline: 2 * 3_600_000,
        meanPartitionInterval: 3 * 3_600_000, partitionShare: 0.25, meanPartition: 20 * 60_000, kill: 0.01,
        meanRestartInterval: 4 * 3_600_000, meanDowntime: 30_000, storageError: 0.01)

    /// Everything goes wrong ten times as often.
    public static let harsh = FaultProfile(
        requestLoss: 0.15, responseLoss: 0.15, duplicate: 0.15, duplicateDelay: 60_000, minLatency: 20,
        meanLatency: 400, requestTimeout: 20_000, offline: 0.15, meanOffline: 3_600_000,
        meanPartitionInterval: 3_600_000, partitionShare: 0.4, meanPartition: 30 * 60_000, kill: 0.05,
        meanRestartInterval: 3_600_000, meanDowntime: 60_000, storageError: 0.08)

    /// The named profiles, for the command line.
    public static let named: [String: FaultProfile] = ["none": .none, "standard": .standard, "harsh": .harsh]
}
