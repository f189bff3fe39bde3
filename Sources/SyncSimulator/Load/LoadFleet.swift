import Foundation
import Logging
import SyncProtocol

/// Enrolled load devices kept from one run to the next, for a search over the number of devices: the fleet
/// grows as the search needs more, and each open-loop step runs its first N.
///
/// ```swift
/// let fleet = LoadFleet(serverURL: server.url, logger: logger)
/// try await fleet.enrol(codes: codes, parallelism: 8)
/// let report = await fleet.runOpenLoop(
///     devices: 1_000, plan: OpenLoopPlan(intervalSeconds: 60), duration: .seconds(60), seed: 1, step: 0)
/// await fleet.shutdown()
/// ```
public actor LoadFleet {
    /// The server's base URL.
    public nonisolated let serverURL: String
    let logger: Logger
    let requests = LatencyRecorder()
    let syncs = LatencyRecorder()
    private var devices: [LoadDevice] = []

    /// Creates an empty fleet.
    public init(serverURL: String, logger: Logger) {
        self.serverURL = serverURL
        self.logger = logger
    }

    /// Devices enrolled so far.
    public var count: Int { devices.count }

    /// Enrols one more device per code (after those enrolled before), `parallelism` at a time, and syncs each
    /// once.
    public func enrol(codes: [String], parallelism: Int) async throws {
        let first = devices.count
        let (serverURL, logger, recorder) = (self.serverURL, self.logger, requests)
        var enrolled: [LoadDevice] = []
        try await withThrowingTaskGroup(of: LoadDevice.self) { group in
            var pending = codes.enumerated().makeIterator()
            func next() {
                guard let (offset, code) = pending.next() else { return }
                group.addTask {
                    let device = try await LoadDevice.enrol(
                        code: code, index: first + offset, serverURL: serverURL, recorder: recorder, logger: logger)
                    // A first sync (hello, the team's notes so far) outside the steps, so that a step after the
                    // fleet grew measures the same steady syncs as the others.
                    _ = try? await device.engine.sync()
                    await device.transport.disconnect()
                    return device
                }
            }
            for _ in 0..<max(1, parallelism) { next() }
            while let device = try await group.next() {
                enrolled.append(device)
                next()
            }
        }
        devices += enrolled.sorted { $0.index < $1.index }
        // Enrolment is not part of any step.
        _ = requests.drain()
    }

    /// Runs the first `count` devices open loop (see ``OpenLoopPlan``) for `duration` and reports.
    ///
    /// Syncs due within `duration` are all made and measured, also when they end after it; those still running
    /// `drain` after the end are cancelled and count as failed. `step` varies the seeded phases, jitter and notes
    /// from one step to the next. The report's rates are over `duration`, the window in which syncs were due.
    public func runOpenLoop(
        devices count: Int, plan: OpenLoopPlan, duration: Duration, drain: Duration = .seconds(30), seed: UInt64,
        step: Int
    ) async -> LoadReport {
        let running = Array(devices.prefix(count))
        _ = requests.drain()
        _ = syncs.drain()
        let start = ContinuousClock.now
        let end = start.advanced(by: duration)
        let random = SimulationRandom(seed: seed).split(UInt64(step))
        let syncs = self.syncs
        let totals = await withTaskGroup(of: LoadDevice.Totals?.self) { group in
            for device in running {
                group.addTask {
                    await device.runOpenLoop(
                        plan, from: start, until: end, random: random.split(UInt64(device.index)), syncs: syncs)
                }
            }
            // The drain deadline: a nil result.
            group.addTask {
                try? await Task.sleep(until: end.advanced(by: drain), clock: .continuous)
                return nil
            }
            if running.isEmpty { group.cancelAll() }
            var sum = LoadDevice.Totals()
            var finished = 0
            for await result in group {
                guard let totals = result else {
                    group.cancelAll()
                    continue
                }
                sum.add(totals)
                finished += 1
                if finished == running.count { group.cancelAll() }
            }
            return sum
        }
        return LoadReport(
            devices: running.count, totals: totals, elapsed: duration, samples: requests.drain(),
            syncSamples: syncs.drain().map(\.1))
    }

    /// Closes every device's connection.
    public func shutdown() async {
        for device in devices { await device.transport.disconnect() }
    }
}
