import Foundation
import SyncSimulator

/// What one backend's run measured: the load report, and what the server process used meanwhile.
struct BackendRun: Sendable, Codable {
    var backend: Backend
    /// Creating teams, advisers and enrolment codes with the admin command (not part of the load).
    var provisionSeconds: Double
    /// Enrolling the devices over HTTP, then the load itself (the span the CPU figures cover).
    var enrolAndLoadSeconds: Double
    var report: LoadReport
    /// CPU time (user + system) of the sync-server process over `enrolAndLoadSeconds`.
    var serverCPUSeconds: Double?
    /// CPU time of this process (the simulated devices) over the same span.
    var clientCPUSeconds: Double
    /// CPU time of PostgreSQL's processes on this machine over the same span (`nil` for SQLite or when
    /// PostgreSQL runs elsewhere).
    var postgresCPUSeconds: Double?
    /// How busy the whole machine was over the same span, as a share of all its cores (everything counts:
    /// client, server, PostgreSQL, and whatever else runs on the machine).
    var machineBusyShare: Double?
    var serverPeakMebibytes: Double?
    /// The server's exit status after SIGTERM (0: a graceful stop).
    var serverExitStatus: Int32
    var loadAverageAfter: [Double]

    /// Why this run counts as failed, if it does.
    func failure(maxFailedFraction: Double) -> String? {
        if report.syncs == 0 { return "\(backend.rawValue): no sync completed" }
        let allowed = Double(report.requests) * maxFailedFraction
        if Double(report.failedRequests) > allowed {
            return "\(backend.rawValue): \(report.failedRequests) of \(report.requests) requests failed "
                + "(tolerance \(maxFailedFraction * 100)%)"
        }
        if serverExitStatus == -1 { return "\(backend.rawValue): sync-server did not stop on SIGTERM" }
        return nil
    }
}

/// The printed result of the whole benchmark.
struct BenchSummary: Sendable, Encodable {
    var benchmark = "bench-load"
    var devices: Int
    var durationSeconds: Double
    var teamSize: Int
    var devicesPerAdviser: Int
    var cores: Int
    var loadAverageStart: [Double]
    var runs: [BackendRun]
    var skipped: [String]
    /// PostgreSQL / SQLite, when both ran.
    var ratios: [String: Double]

    init(options: BenchOptions, loadAverageStart: [Double], runs: [BackendRun], skipped: [String]) {
        devices = options.devices
        durationSeconds = options.durationSeconds
        teamSize = options.teamSize
        devicesPerAdviser = options.devicesPerAdviser
        cores = ProcessStats.cores
        self.loadAverageStart = loadAverageStart
        self.runs = runs
        self.skipped = skipped
        ratios = [:]
        if let sqlite = runs.first(where: { $0.backend == .sqlite })?.report,
            let postgres = runs.first(where: { $0.backend == .postgres })?.report
        {
            func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : 0 }
            ratios["postgres_vs_sqlite_requests_per_s"] = ratio(postgres.requestsPerSecond, sqlite.requestsPerSecond)
            ratios["postgres_vs_sqlite_records_per_s"] = ratio(postgres.recordsPerSecond, sqlite.recordsPerSecond)
            ratios["postgres_vs_sqlite_p50"] = ratio(postgres.latency.p50, sqlite.latency.p50)
            ratios["postgres_vs_sqlite_p99"] = ratio(postgres.latency.p99, sqlite.latency.p99)
        }
    }

    /// The table, per-backend detail lines and the ratios, for people.
    var text: String {
        let header = [
            "backend", "devices", "syncs", "requests", "req/s", "records/s", "p50 ms", "p90 ms", "p99 ms",
            "max ms", "failed",
        ]
        let widths = [10, 7, 7, 9, 8, 10, 7, 7, 7, 8, 6]
        func row(_ cells: [String]) -> String {
            zip(cells, widths).enumerated().map { index, pair in
                let (cell, width) = pair
                let padding = String(repeating: " ", count: max(0, width - cell.count))
                return index == 0 ? cell + padding : padding + cell
            }.joined(separator: " ")
        }
        func number(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
        var lines = [
            "bench-load: \(devices) simulated devices against one sync-server over loopback, "
                + "\(number(durationSeconds, 0)) s per backend, teams of \(teamSize) devices "
                + "(\(devicesPerAdviser) per adviser)",
            row(header),
        ]
        for run in runs {
            let report = run.report
            lines.append(
                row([
                    run.backend.title, "\(report.devices)", "\(report.syncs)", "\(report.requests)",
                    number(report.requestsPerSecond), number(report.recordsPerSecond), number(report.latency.p50),
                    number(report.latency.p90), number(report.latency.p99), number(report.latency.max),
                    "\(report.failedRequests)",
                ]))
        }
        for backend in skipped { lines.append(row([backend, "skipped"])) }
        for run in runs { lines.append(contentsOf: detail(run)) }
        if let requests = ratios["postgres_vs_sqlite_requests_per_s"], let p99 = ratios["postgres_vs_sqlite_p99"] {
            lines.append(
                "PostgreSQL / SQLite: requests/s \(number(requests, 2))×, p99 latency \(number(p99, 2))×")
        } else {
            lines.append("PostgreSQL / SQLite: n/a (both backends must run)")
        }
        return lines.joined(separator: "\n")
    }

    private func detail(_ run: BackendRun) -> [String] {
        let report = run.report
        let kinds = report.latencyByKind.keys.sorted().map { kind in
            let value = report.latencyByKind[kind]!
            return String(format: "%@ %.1f/%.1f", kind, value.p50, value.p99)
        }
        let span = run.enrolAndLoadSeconds
        func share(_ seconds: Double?) -> String {
            guard let seconds, span > 0 else { return "?" }
            return String(format: "%.1f s (%.0f%% of one core)", seconds, seconds / span * 100)
        }
        return [
            "\(run.backend.title): \(report.writes) notes written, \(report.recordsPushed) records pushed, "
                + "\(report.recordsPulled) pulled, \(report.failedSyncs) syncs failed; p50/p99 ms by request: "
                + kinds.joined(separator: ", "),
            String(format: "  provisioning %.1f s; over enrolment + load (%.1f s): ", run.provisionSeconds, span)
                + "server CPU \(share(run.serverCPUSeconds)), client CPU \(share(run.clientCPUSeconds)), "
                + (run.postgresCPUSeconds.map { "PostgreSQL CPU \(share($0)), " } ?? "")
                + (run.machineBusyShare.map { String(format: "machine %.0f%% busy, ", $0 * 100) } ?? "")
                + "server peak \(run.serverPeakMebibytes.map { String(format: "%.0f MiB", $0) } ?? "?"), "
                + "exit \(run.serverExitStatus) after SIGTERM; load average after "
                + run.loadAverageAfter.map { String(format: "%.2f", $0) }.joined(separator: " "),
        ]
    }

    /// One JSON line (snake_case keys), for scripts.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
