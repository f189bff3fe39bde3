import Foundation
import Logging
import SyncClient
import SyncProtocol

/// Load mode: N devices with in-memory stores, each enrolled with a one-time code, syncing concurrently
/// against a real `sync-server` over HTTP (real time, real concurrency), for a fixed duration.
///
/// Each device writes a note (or edits one of its recent notes), then syncs, again and again. Every
/// HTTP call is timed. The result reports throughput and latency percentiles, so the server's own
/// benchmark can use it.
///
/// Enrolment codes come from the server's admin command, one per device:
/// `sync-server admin --database sqlite:PATH enrolment-code --adviser NAME` (last line of its output).
public struct LoadTest: Sendable {
    /// The server's base URL.
    public var serverURL: String
    /// One-time enrolment codes; one device is enrolled per code.
    public var enrolmentCodes: [String]
    /// How long the devices write and sync.
    public var duration: Duration
    /// Seeds the notes' text and the edit choices.
    public var seed: UInt64
    /// For progress and errors.
    public var logger: Logger

    /// Creates a load test.
    public init(
        serverURL: String, enrolmentCodes: [String], duration: Duration, seed: UInt64 = 1,
        logger: Logger = Logger(label: "fieldsync.simulator.load")
    ) {
        self.serverURL = serverURL
        self.enrolmentCodes = enrolmentCodes
        self.duration = duration
        self.seed = seed
        self.logger = logger
    }

    /// Reads codes from a file, one per line, ignoring blank lines and `#` comments.
    public static func codes(fromFile path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// Enrols every device, runs the load, and reports.
    public func run() async throws -> LoadReport {
        let recorder = LatencyRecorder()
        var devices: [LoadDevice] = []
        for (index, code) in enrolmentCodes.enumerated() {
            devices.append(
                try await LoadDevice.enrol(
                    code: code, index: index, serverURL: serverURL, recorder: recorder, logger: logger))
        }
        let started = ContinuousClock.now
        let deadline = started.advanced(by: duration)
        let seed = self.seed
        let totals = await withTaskGroup(of: LoadDevice.Totals.self) { group in
            for device in devices {
                group.addTask { await device.run(until: deadline, seed: seed) }
            }
            var sum = LoadDevice.Totals()
            for await totals in group { sum.add(totals) }
            return sum
        }
        let elapsed = started.duration(to: .now)
        for device in devices { await device.transport.disconnect() }
        return LoadReport(devices: devices.count, totals: totals, elapsed: elapsed, samples: recorder.samples())
    }
}

/// What a load run measured.
public struct LoadReport: Sendable, Codable {
    /// Devices that took part.
    public var devices: Int
    /// Wall time of the load phase (seconds).
    public var seconds: Double
    /// Syncs completed and failed, notes written, records pushed and pulled.
    public var syncs: Int
    public var failedSyncs: Int
    public var writes: Int
    public var recordsPushed: Int
    public var recordsPulled: Int
    /// HTTP requests made, and those that failed.
    public var requests: Int
    public var failedRequests: Int
    /// Throughput.
    public var requestsPerSecond: Double
    public var recordsPerSecond: Double
    /// Latency of all requests, and per kind (`hello`, `push`, `pull`), in milliseconds.
    public var latency: Percentiles
    public var latencyByKind: [String: Percentiles]
    /// Open loop only: whole syncs, from the instant each was scheduled to its end, in milliseconds.
    public var syncLatency: Percentiles?

    /// Latency percentiles in milliseconds.
    public struct Percentiles: Sendable, Codable, Hashable {
        public var count: Int
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var max: Double

        /// The percentiles of `values` (milliseconds).
        public init(_ values: [Double]) {
            let sorted = values.sorted()
            func at(_ q: Double) -> Double {
                sorted.isEmpty ? 0 : sorted[Swift.min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.down)))]
            }
            count = sorted.count
            p50 = at(0.5)
            p90 = at(0.9)
            p99 = at(0.99)
            max = sorted.last ?? 0
        }
    }

    init(
        devices: Int, totals: LoadDevice.Totals, elapsed: Duration, samples: [(String, Double, Bool)],
        syncSamples: [Double]? = nil
    ) {
        self.devices = devices
        seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        syncs = totals.syncs
        failedSyncs = totals.failedSyncs
        writes = totals.writes
        recordsPushed = totals.pushed
        recordsPulled = totals.pulled
        requests = samples.count
        failedRequests = samples.count { !$0.2 }
        requestsPerSecond = seconds > 0 ? Double(requests) / seconds : 0
        recordsPerSecond = seconds > 0 ? Double(recordsPushed + recordsPulled) / seconds : 0
        latency = Percentiles(samples.map(\.1))
        var byKind: [String: [Double]] = [:]
        for (kind, milliseconds, _) in samples { byKind[kind, default: []].append(milliseconds) }
        latencyByKind = byKind.mapValues(Percentiles.init)
        syncLatency = syncSamples.map(Percentiles.init)
    }

    /// A few lines for people.
    public var summary: String {
        var lines = [
            String(
                format: "load: %d devices for %.1f s: %d syncs (%d failed), %d notes written", devices, seconds,
                syncs, failedSyncs, writes),
            String(
                format: "throughput: %.1f requests/s, %.1f records/s (%d pushed, %d pulled); %d requests failed",
                requestsPerSecond, recordsPerSecond, recordsPushed, recordsPulled, failedRequests),
            String(
                format: "latency (ms): p50 %.1f  p90 %.1f  p99 %.1f  max %.1f", latency.p50, latency.p90,
                latency.p99, latency.max),
        ]
        for kind in latencyByKind.keys.sorted() {
            let value = latencyByKind[kind]!
            lines.append(String(format: "  %-5@ n=%d p50 %.1f  p99 %.1f", kind, value.count, value.p50, value.p99))
        }
        if let syncLatency {
            lines.append(
                String(
                    format: "whole syncs from when they were due (ms): p50 %.1f  p99 %.1f  max %.1f",
                    syncLatency.p50, syncLatency.p99, syncLatency.max))
        }
        return lines.joined(separator: "\n")
    }
}

/// Collects the latency of every request, from every device.
final class LatencyRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [(String, Double, Bool)] = []

    func add(_ kind: String, _ duration: Duration, succeeded: Bool) {
        let milliseconds = Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15
        lock.withLock { values.append((kind, milliseconds, succeeded)) }
    }

    func samples() -> [(String, Double, Bool)] {
        lock.withLock { values }
    }

    /// The samples so far, forgetting them (one open-loop step's, before the next step).
    func drain() -> [(String, Double, Bool)] {
        lock.withLock {
            defer { values.removeAll(keepingCapacity: true) }
            return values
        }
    }
}

/// The instant an open-loop sync was scheduled to start, until its first request takes it.
///
/// Timing the first request from the schedule, not from when it was sent, keeps a late start in the figures: a
/// device still busy with its previous sync, or a client too loaded to send on time, is the server's latency
/// as the device sees it. Without it a slow server would slow the arrivals and hide its own slowness
/// (coordinated omission).
final class ScheduledStart: @unchecked Sendable {
    private let lock = NSLock()
    private var instant: ContinuousClock.Instant?

    func set(_ instant: ContinuousClock.Instant) {
        lock.withLock { self.instant = instant }
    }

    /// The scheduled instant, once (`nil` for the sync's later requests and in the closed loop).
    func take() -> ContinuousClock.Instant? {
        lock.withLock {
            defer { instant = nil }
            return instant
        }
    }
}

/// A transport that times every call of another.
struct TimedTransport<Base: SyncTransport>: SyncTransport {
    let base: Base
    let recorder: LatencyRecorder
    var scheduledStart: ScheduledStart?

    func hello(_ request: HelloRequest) async throws -> HelloResponse {
        try await timed("hello") { try await base.hello(request) }
    }

    func push(_ batch: PushBatch, team: String) async throws -> PushResult {
        try await timed("push") { try await base.push(batch, team: team) }
    }

    func pull(_ request: PullRequest, team: String) async throws -> PullPage {
        try await timed("pull") { try await base.pull(request, team: team) }
    }

    private func timed<Value>(_ kind: String, _ call: () async throws -> Value) async throws -> Value {
        let started = scheduledStart?.take() ?? ContinuousClock.now
        do {
            let value = try await call()
            recorder.add(kind, started.duration(to: .now), succeeded: true)
            return value
        } catch {
            recorder.add(kind, started.duration(to: .now), succeeded: false)
            throw error
        }
    }
}
