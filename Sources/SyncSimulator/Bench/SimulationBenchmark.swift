import Logging

/// One measured run of the benchmark: how long devices × operations take to converge.
public struct BenchmarkRow: Sendable, Codable, Hashable {
    /// Adviser devices and operations per device.
    public var devices: Int
    public var operationsPerDevice: Int
    /// Operations done, syncs started and requests sent.
    public var operations: Int
    public var syncs: Int
    public var messages: Int
    /// Virtual time simulated (hours) and wall time to convergence, oracle included (seconds).
    public var virtualHours: Double
    public var wallSeconds: Double
    /// Whether the oracle passed.
    public var passed: Bool
    /// The event-log hash, for comparing runs.
    public var eventHash: String

    /// Operations per wall-clock second.
    public var operationsPerSecond: Double { wallSeconds > 0 ? Double(operations) / wallSeconds : 0 }
}

/// The benchmark of `fieldcli simulate --bench`: convergence time of in-memory runs (devices on in-memory stores,
/// the shipped server over SQLite) and how it grows with devices and with operations.
public enum SimulationBenchmark {
    /// The sizes measured for a headline of `devices` × `operations`: a quarter, a half and all of the
    /// devices at full operations, then all devices at a quarter and a half of the operations.
    public static func grid(devices: Int, operations: Int) -> [(devices: Int, operations: Int)] {
        var sizes: [(devices: Int, operations: Int)] = []
        for share in [8, 4, 2] where devices / share >= 1 { sizes.append((devices / share, operations)) }
        for share in [4, 2] where operations / share >= 1 { sizes.append((devices, operations / share)) }
        sizes.append((devices, operations))
        return sizes
    }

    /// Runs one size with in-memory stores and the standard faults.
    public static func measure(
        devices: Int, operations: Int, seed: UInt64, encodeMessages: Bool, workload: Workload = .scopes,
        logger: Logger = Logger(label: "fieldsync.simulator")
    ) async throws -> BenchmarkRow {
        let options = SimulationOptions(
            seed: seed, devices: devices, operationsPerDevice: operations, storeKind: .memory, workload: workload,
            encodeMessages: encodeMessages, logger: logger)
        let report = try await Simulation(options: options).run()
        return BenchmarkRow(
            devices: report.devices, operationsPerDevice: operations, operations: report.stats.operationCount,
            syncs: report.stats.syncsStarted, messages: report.stats.requests,
            virtualHours: Double(report.virtualMilliseconds) / 3_600_000, wallSeconds: report.wallSeconds,
            passed: report.passed, eventHash: report.eventHash)
    }
}
