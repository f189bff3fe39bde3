import Foundation

/// The server backends the benchmark can run against.
enum Backend: String, CaseIterable, Sendable, Codable {
    case sqlite
    case postgres

    /// The name people read in the table.
    var title: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }
}

/// What `bench-load` measures.
enum BenchMode: String, Sendable, Codable {
    /// Closed loop: a fixed number of devices syncing back to back; throughput and latency at saturation.
    case load
    /// Open loop: devices syncing every `--interval` seconds; the most devices that keep p99 under a target.
    case capacity
}

/// The command line of `bench-load`.
struct BenchOptions: Sendable {
    var mode = BenchMode.load
    var devices = 200
    var durationSeconds = 20.0
    var postgresURL: String?
    var seed: UInt64 = 1
    var backends: [Backend] = Backend.allCases
    /// Devices per team: a team of ~10 advisers' devices, as the domain describes (teams of 6–11 advisers).
    var teamSize = 10
    /// Devices per adviser (a laptop and a phone).
    var devicesPerAdviser = 2
    /// Admin commands run at once while provisioning; each is a short process that opens the database.
    var adminParallelism = 4
    /// The share of requests that may fail before the run counts as failed.
    var maxFailedFraction = 0.001

    // Capacity mode.
    /// Mean seconds between two syncs of one device.
    var intervalSeconds = 60.0
    /// Seconds of one search step; `nil`: one interval.
    var stepSecondsOption: Double?
    var stepSeconds: Double { stepSecondsOption ?? intervalSeconds }
    /// The first step's devices, and the most the search tries.
    var startDevices = 500
    var maxDevices = 32_000
    /// A step passes when p99 of its requests stays at or under this (and nothing failed).
    var p99Milliseconds = 100.0
    /// Each interval is the mean times a uniform draw in 1 ± jitter.
    var jitter = 0.2
    /// A device writes a note before one sync in this many.
    var writeEvery = 3
    /// Steps between the last pass and the first fail, at most.
    var bisectSteps = 3
    /// Devices enrolling at once over HTTP.
    var enrolParallelism = 8

    static let usage = """
        usage: bench-load [--devices N] [--duration S] [--postgres URL] [--seed N] [--backends LIST]
                          [--team-size N] [--devices-per-adviser N] [--admin-parallelism N]
                          [--max-failed-fraction F]
               bench-load --mode capacity [--interval S] [--step-seconds S] [--start-devices N]
                          [--max-devices N] [--p99-ms MS] [--jitter F] [--write-every K] [--bisect-steps N]
                          [--enrol-parallelism N] [--postgres URL] [--seed N] [--backends LIST]
                          [--team-size N] [--devices-per-adviser N]

        N simulated devices (in-memory stores, the real sync engine over HTTP) write and sync concurrently
        against one real sync-server process for S seconds, once per backend: SQLite (a temporary file)
        and PostgreSQL (a fresh database created on the given server and dropped afterwards).
        Prints requests/s, records/s and latency percentiles per backend, the ratio PostgreSQL/SQLite,
        and a JSON line. Exits non-zero when the server does not start or requests fail.

          --devices N              simulated devices (default 200)
          --duration S             seconds of load per backend (default 20)
          --postgres URL           postgres://user[:password]@host[:port]/database; a role that may create
                                   databases (env: FIELDSYNC_BENCH_POSTGRES_URL, FIELDSYNC_TEST_POSTGRES_URL);
                                   without one the PostgreSQL half is skipped
          --seed N                 seeds the notes' text and edit choices (default 1)
          --backends LIST          sqlite, postgres or sqlite,postgres (default both)
          --team-size N            devices per team (default 10)
          --devices-per-adviser N  devices of one adviser, e.g. laptop and phone (default 2)
          --admin-parallelism N    admin commands run at once while provisioning (default 4)
          --max-failed-fraction F  failed requests tolerated, as a share of all (default 0.001)

        --mode capacity: how many devices one server takes, as a user plans it. N devices each sync every
        S seconds (each gap S x uniform 1 +/- jitter, seeded), writing a note before every K-th sync, open
        loop: a sync is due on its schedule whatever the server's answers take, and its first request is
        timed from when it was due (no coordinated omission). Each sync opens and closes its own connection.
        A step runs N devices for --step-seconds (at least one interval; devices start at seeded random phases
        over the first interval, so arrivals are even from the start) and passes when the p99 of its
        requests is at most --p99-ms and no request or sync failed. The search doubles N from
        --start-devices while steps pass (up to --max-devices), then bisects between the last pass and the
        first fail. Per backend it reports the highest passing N, its syncs/s and notes/s, p50/p99/max,
        server CPU and peak memory, PostgreSQL's CPU, the load average; then the ratio PostgreSQL/SQLite.
        Teams, advisers and codes are provisioned in process through the server's storage library (the
        calls the admin command makes: a process per code would take minutes for thousands of devices),
        as the fleet grows.

          --mode load|capacity     closed-loop load (default) or the capacity search
          --interval S             mean seconds between a device's syncs (default 60)
          --step-seconds S         seconds per search step, at least --interval (default: --interval)
          --start-devices N        devices of the first step (default 500)
          --max-devices N          the most devices tried (default 32000)
          --p99-ms MS              latency target: p99 of requests at most MS (default 100)
          --jitter F               each gap is S x uniform(1-F, 1+F) (default 0.2)
          --write-every K          a note before every K-th sync of a device (default 3)
          --bisect-steps N         steps between the last pass and the first fail, at most (default 3)
          --enrol-parallelism N    devices enrolling at once (default 8)

        sync-server must sit next to this executable (swift build -c release --product sync-server, then
        the same with --product bench-load); scripts/bench-load.sh builds both and starts a throwaway
        PostgreSQL.
        """

    /// Parses `arguments` (without the program name); `nil` when `--help` was asked for.
    static func parse(_ arguments: [String], environment: [String: String]) throws(UsageError) -> BenchOptions? {
        var options = BenchOptions()
        var remaining = arguments[...]
        func value(_ flag: String) throws(UsageError) -> String {
            guard let next = remaining.popFirst() else { throw UsageError("\(flag) needs a value") }
            return next
        }
        func number<T: LosslessStringConvertible & Comparable>(
            _ flag: String, atLeast minimum: T
        )
            throws(UsageError) -> T
        {
            let text = try value(flag)
            guard let parsed = T(text), parsed >= minimum else {
                throw UsageError("\(flag) takes a number of at least \(minimum), got '\(text)'")
            }
            return parsed
        }
        while let flag = remaining.popFirst() {
            switch flag {
            case "--help", "-h": return nil
            case "--devices": options.devices = try number(flag, atLeast: 1)
            case "--duration": options.durationSeconds = try number(flag, atLeast: 0.5)
            case "--postgres":
                let url = try value(flag)
                options.postgresURL = url.isEmpty ? nil : url
            case "--seed": options.seed = try number(flag, atLeast: 0)
            case "--team-size": options.teamSize = try number(flag, atLeast: 1)
            case "--devices-per-adviser": options.devicesPerAdviser = try number(flag, atLeast: 1)
            case "--admin-parallelism": options.adminParallelism = try number(flag, atLeast: 1)
            case "--max-failed-fraction": options.maxFailedFraction = try number(flag, atLeast: 0)
            case "--mode":
                let text = try value(flag)
                guard let mode = BenchMode(rawValue: text) else {
                    throw UsageError("--mode takes load or capacity, got '\(text)'")
                }
                options.mode = mode
            case "--interval": options.intervalSeconds = try number(flag, atLeast: 0.5)
            case "--step-seconds": options.stepSecondsOption = try number(flag, atLeast: 0.5)
            case "--start-devices": options.startDevices = try number(flag, atLeast: 1)
            case "--max-devices": options.maxDevices = try number(flag, atLeast: 1)
            case "--p99-ms": options.p99Milliseconds = try number(flag, atLeast: 0.1)
            case "--jitter": options.jitter = try number(flag, atLeast: 0)
            case "--write-every": options.writeEvery = try number(flag, atLeast: 1)
            case "--bisect-steps": options.bisectSteps = try number(flag, atLeast: 0)
            case "--enrol-parallelism": options.enrolParallelism = try number(flag, atLeast: 1)
            case "--backends":
                let text = try value(flag)
                var backends: [Backend] = []
                for name in text.split(separator: ",") {
                    guard let backend = Backend(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                        throw UsageError("--backends takes sqlite, postgres or both, got '\(name)'")
                    }
                    if !backends.contains(backend) { backends.append(backend) }
                }
                guard !backends.isEmpty else { throw UsageError("--backends is empty") }
                options.backends = backends
            default:
                throw UsageError("unknown argument '\(flag)'")
            }
        }
        if options.stepSeconds < options.intervalSeconds {
            throw UsageError("--step-seconds must be at least --interval: every device must sync in every step")
        }
        if options.jitter >= 1 { throw UsageError("--jitter must be below 1") }
        if options.startDevices > options.maxDevices {
            throw UsageError("--start-devices must not exceed --max-devices")
        }
        if options.postgresURL == nil {
            options.postgresURL = ["FIELDSYNC_BENCH_POSTGRES_URL", "FIELDSYNC_TEST_POSTGRES_URL"].lazy
                .compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        return options
    }
}

/// A command line that cannot be run.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Something that stopped the benchmark, with what it was doing.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
