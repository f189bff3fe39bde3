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

/// The command line of `bench-load`.
struct BenchOptions: Sendable {
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

    static let usage = """
        usage: bench-load [--devices N] [--duration S] [--postgres URL] [--seed N] [--backends LIST]
                          [--team-size N] [--devices-per-adviser N] [--admin-parallelism N]
                          [--max-failed-fraction F]

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
