import Foundation
import SyncSimulator

/// The printed result of the capacity mode.
struct CapacitySummary: Sendable, Encodable {
    var benchmark = "bench-load"
    var mode = BenchMode.capacity
    /// What was measured, in words (also the table's first line).
    var measured: String
    var intervalSeconds: Double
    var stepSeconds: Double
    var jitter: Double
    var writeEvery: Int
    var p99TargetMs: Double
    var maxDevices: Int
    var teamSize: Int
    var devicesPerAdviser: Int
    var cores: Int
    var loadAverageStart: [Double]
    var runs: [CapacityRun]
    var skipped: [String]
    /// PostgreSQL / SQLite, when both found a capacity.
    var ratios: [String: Double]

    init(options: BenchOptions, loadAverageStart: [Double], runs: [CapacityRun], skipped: [String]) {
        intervalSeconds = options.intervalSeconds
        stepSeconds = options.stepSeconds
        jitter = options.jitter
        writeEvery = options.writeEvery
        p99TargetMs = options.p99Milliseconds
        maxDevices = options.maxDevices
        teamSize = options.teamSize
        devicesPerAdviser = options.devicesPerAdviser
        cores = ProcessStats.cores
        self.loadAverageStart = loadAverageStart
        self.runs = runs
        self.skipped = skipped
        func number(_ value: Double) -> String { String(format: "%g", value) }
        measured =
            "the most devices one sync-server serves with p99 of requests <= \(number(options.p99Milliseconds)) ms "
            + "and no error, each device syncing every \(number(options.intervalSeconds)) s (x uniform 1 +/- "
            + "\(number(options.jitter)), seeded) and writing a note before one sync in \(options.writeEvery); "
            + "open loop (requests timed from when their sync was due), a new connection per sync, "
            + "\(number(options.stepSeconds)) s per step, devices starting at random phases over the first "
            + "interval; devices, server and database on this \(ProcessStats.cores)-core machine over loopback"
            + (options.intervalSeconds == 60 ? "" : " (NOT the 60 s headline: a quick run)")
        ratios = [:]
        if let sqlite = runs.first(where: { $0.backend == .sqlite })?.best,
            let postgres = runs.first(where: { $0.backend == .postgres })?.best
        {
            ratios["postgres_vs_sqlite_devices"] = Double(postgres.devices) / Double(sqlite.devices)
            ratios["postgres_vs_sqlite_syncs_per_s"] =
                sqlite.syncsPerSecond > 0 ? postgres.syncsPerSecond / sqlite.syncsPerSecond : 0
        }
    }

    private static func number(_ value: Double, _ digits: Int = 1) -> String {
        String(format: "%.\(digits)f", value)
    }

    private static func percent(_ share: Double?) -> String {
        share.map { String(format: "%.0f%%", $0 * 100) } ?? "-"
    }

    /// One step, for the progress lines and the detail.
    static func stepLine(_ step: CapacityStep) -> String {
        let report = step.report
        return "\(step.devices) devices: \(number(step.syncsPerSecond)) syncs/s, "
            + "p50 \(number(report.latency.p50)) ms, p99 \(number(report.latency.p99)) ms, "
            + "max \(number(report.latency.max)) ms, "
            + "\(report.failedRequests) failed requests, \(report.failedSyncs) failed syncs, "
            + "server CPU \(percent(step.coreShare(step.serverCPUSeconds))) of a core, "
            + (step.postgresCPUSeconds.map { "PostgreSQL CPU \(percent(step.coreShare($0))), " } ?? "")
            + "machine \(percent(step.machineBusyShare)) busy: \(step.passed ? "pass" : "FAIL")"
    }

    /// The table, the steps of each backend and the ratio, for people.
    var text: String {
        let header = [
            "backend", "devices", "syncs/s", "notes/s", "req/s", "p50 ms", "p99 ms", "max ms", "errors",
            "server CPU", "PG CPU", "peak MiB", "load avg",
        ]
        let widths = [10, 8, 8, 8, 8, 7, 7, 8, 6, 10, 7, 8, 15]
        func row(_ cells: [String]) -> String {
            zip(cells, widths).enumerated().map { index, pair in
                let (cell, width) = pair
                let padding = String(repeating: " ", count: max(0, width - cell.count))
                return index == 0 ? cell + padding : padding + cell
            }.joined(separator: " ")
        }
        var lines = ["bench-load capacity: " + measured, row(header)]
        for run in runs {
            guard let best = run.best else {
                lines.append(row([run.backend.title, "none"]))
                continue
            }
            let report = best.report
            lines.append(
                row([
                    run.backend.title, (run.reachedMaximum ? ">=" : "") + "\(best.devices)",
                    Self.number(best.syncsPerSecond), Self.number(best.notesPerSecond),
                    Self.number(report.requestsPerSecond), Self.number(report.latency.p50),
                    Self.number(report.latency.p99), Self.number(report.latency.max), "\(best.errors)",
                    Self.percent(best.coreShare(best.serverCPUSeconds)),
                    Self.percent(best.coreShare(best.postgresCPUSeconds)),
                    run.serverPeakMebibytes.map { Self.number($0, 0) } ?? "?",
                    best.loadAverageAfter.map { Self.number($0, 2) }.joined(separator: " "),
                ]))
        }
        for backend in skipped { lines.append(row([backend, "skipped"])) }
        for run in runs {
            lines.append(
                "\(run.backend.title): \(run.steps.count) steps; provisioning \(Self.number(run.provisionSeconds)) s, "
                    + "enrolment \(Self.number(run.enrolSeconds)) s (outside the steps); server exit "
                    + "\(run.serverExitStatus) after SIGTERM"
                    + (run.reachedMaximum ? "; every step passed up to --max-devices: the capacity is higher" : ""))
            for step in run.steps {
                let sync = step.report.syncLatency.map { " (whole syncs p99 \(Self.number($0.p99)) ms)" } ?? ""
                lines.append("  " + Self.stepLine(step) + sync)
            }
        }
        if let devices = ratios["postgres_vs_sqlite_devices"] {
            lines.append("PostgreSQL / SQLite: devices \(Self.number(devices, 2))×")
        } else {
            lines.append("PostgreSQL / SQLite: n/a (both backends must find a capacity)")
        }
        return lines.joined(separator: "\n")
    }

    /// One JSON line (snake_case keys), for scripts.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
