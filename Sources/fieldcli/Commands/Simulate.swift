import ArgumentParser
import Foundation
import SyncSimulator

/// `fieldcli simulate`: many offline devices through a faulty network, checked by the convergence oracle.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate many offline devices syncing through faults, and check that nothing is lost.",
        discussion: """
            Devices run the real sync engine on real stores against an in-process server, in virtual time, \
            one step at a time: the same --seed gives the same run, event for event. At the end the oracle \
            checks that every device equals the server, every write survived or was knowingly overwritten, \
            conflicts are exactly the concurrent edits that do not merge, and purged notes are gone. A failed \
            run prints the command that replays it; the exit status is then 1.

            --bench measures how long devices x operations take to converge (in-memory stores) and how the \
            time grows. --server URL runs the load mode against a real sync-server instead. \
            See docs/simulation.md.
            """
    )

    @Option(help: "Adviser devices (default 20; 1000 with --bench; each team also gets a console).")
    var devices: Int?

    @Option(name: .customLong("ops"), help: "Local operations per device (default 50; 100 with --bench).")
    var operations: Int?

    @Option(help: "The seed of every random choice (default: a random one, printed).")
    var seed: UInt64?

    @Option(help: "Run this many consecutive seeds, starting at --seed.")
    var seeds: Int = 1

    @Option(name: .customLong("store-kind"), help: "Device stores: memory or encrypted (LocalStore files).")
    var storeKind: StoreKind = .memory

    @Option(help: "Fault profile: none, standard or harsh.")
    var faults: Faults = .standard

    @Option(help: "What devices do: classic (each team on its own) or scopes (also shares and handovers).")
    var workload: Workload = .scopes

    @Option(
        name: .customLong("team-size"),
        help: ArgumentHelp("Advisers per team, as MIN-MAX (default 6-11).", valueName: "min-max"))
    var teamSize: String?

    @Option(help: ArgumentHelp("The server's merge (for testing the oracle).", visibility: .hidden))
    var merge: ServerMerge = .causal

    @Flag(
        name: .customLong("server-forgets-narrowing"),
        help: ArgumentHelp(
            "A broken server that never tells a team to drop a record (for testing the oracle).",
            visibility: .hidden))
    var serverForgetsNarrowing = false

    @Flag(
        name: .customLong("devices-ignore-removals"),
        help: ArgumentHelp(
            "Broken devices that keep records their team stopped reading (for testing the oracle).",
            visibility: .hidden))
    var devicesIgnoreRemovals = false

    @Flag(name: .customLong("no-encode"), help: "Pass messages as values instead of JSON (faster; no byte counts).")
    var noEncode = false

    @Flag(help: "With --bench: carry messages as JSON too (the bench passes values by default; JSON is slow).")
    var encode = false

    @Flag(help: "Print one JSON document (or JSON lines with --bench) instead of text.")
    var json = false

    @Flag(help: "Measure convergence time and its growth with devices and operations.")
    var bench = false

    @Flag(help: "Print every event of the run on standard error.")
    var trace = false

    @Option(
        name: .customLong("server-database"),
        help: ArgumentHelp(
            "Run the shipped server on PostgreSQL: a postgres:// URL; the run creates its own database there.",
            discussion: "The default is SQLite in a temporary file. The user needs the CREATEDB right."))
    var serverDatabase: String?

    @Option(help: "Load mode: a running sync-server's base URL, e.g. http://127.0.0.1:8080.")
    var server: String?

    @Option(name: .customLong("enrol-codes"), help: "Load mode: a file of enrolment codes, one per line.")
    var enrolCodes: String?

    @Option(help: "Load mode: how long to run, in seconds.")
    var duration: Int = 30

    func validate() throws {
        if let devices, devices < 1 { throw ValidationError("--devices must be at least 1") }
        if let operations, operations < 0 { throw ValidationError("--ops must not be negative") }
        if let serverDatabase, !(serverDatabase.hasPrefix("postgres://") || serverDatabase.hasPrefix("postgresql://")) {
            throw ValidationError("--server-database must be a postgres:// URL (SQLite is the default)")
        }
        if let teamSize, Self.range(teamSize) == nil {
            throw ValidationError("--team-size must be MIN-MAX with 1 <= MIN <= MAX, e.g. 6-11")
        }
        if seeds < 1 { throw ValidationError("--seeds must be at least 1") }
    }

    /// `6-11` (or `8`) as a range of at least 1.
    static func range(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...2).contains(parts.count), let low = parts.first ?? nil, let high = parts.last ?? nil,
            low >= 1, low <= high
        else { return nil }
        return low...high
    }

    /// The fault profiles by name.
    enum Faults: String, CaseIterable, ExpressibleByArgument {
        case none, standard, harsh

        var profile: FaultProfile { FaultProfile.named[rawValue] ?? .standard }
    }

    /// The server merges the oracle can be tested with.
    enum ServerMerge: String, CaseIterable, ExpressibleByArgument {
        case causal
        case lastWriterWins = "last-writer-wins"

        var function: MergeFunction { self == .causal ? .standard : .lastWriterWins }
    }

    func run() async throws {
        if let server {
            try await runLoad(server: server)
        } else if bench {
            try await runBench()
        } else {
            try await runSimulation()
        }
    }

    private func runSimulation() async throws {
        let first = seed ?? UInt64.random(in: 1...999_999)
        var failed = false
        for offset in 0..<UInt64(seeds) {
            var options = SimulationOptions(
                seed: first + offset, devices: devices ?? 20, operationsPerDevice: operations ?? 50,
                storeKind: storeKind, faults: faults.profile, faultsName: faults.rawValue, merge: merge.function,
                workload: workload, advisersPerTeam: teamSize.flatMap(Self.range) ?? 6...11,
                serverForgetsNarrowing: serverForgetsNarrowing, devicesIgnoreRemovals: devicesIgnoreRemovals,
                encodeMessages: !noEncode, serverDatabase: serverDatabase)
            if trace { options.trace = { line in printError(line) } }
            let report = try await Simulation(options: options).run()
            if json {
                try Output.json(report)
            } else {
                print(report.summary)
                if !report.passed {
                    print("last events:")
                    for line in report.recentEvents.suffix(30) { print("  \(line)") }
                }
                if seeds > 1 { print("") }
            }
            failed = failed || !report.passed
        }
        if failed { throw ExitCode.failure }
    }

    private func runBench() async throws {
        let headlineDevices = devices ?? 1_000
        let headlineOperations = operations ?? 100
        let benchSeed = seed ?? 1
        var rows: [BenchmarkRow] = []
        if !json {
            print(
                "benchmark: in-memory stores, standard faults, seed \(benchSeed), "
                    + (encode ? "messages as JSON" : "messages as values"))
        }
        for size in SimulationBenchmark.grid(devices: headlineDevices, operations: headlineOperations) {
            let row = try await SimulationBenchmark.measure(
                devices: size.devices, operations: size.operations, seed: benchSeed, encodeMessages: encode)
            rows.append(row)
            if json {
                print(try Self.jsonLine(row))
            } else {
                printError(
                    String(
                        format: "  %d devices x %d ops: %.1f s", row.devices, row.operationsPerDevice,
                        row.wallSeconds))
            }
        }
        if !json {
            Output.table(
                ["devices", "ops/device", "operations", "syncs", "messages", "virtual h", "wall s", "ops/s", "oracle"],
                rows.map { row in
                    [
                        "\(row.devices)", "\(row.operationsPerDevice)", "\(row.operations)", "\(row.syncs)",
                        "\(row.messages)", String(format: "%.1f", row.virtualHours),
                        String(format: "%.2f", row.wallSeconds), String(format: "%.0f", row.operationsPerSecond),
                        row.passed ? "pass" : "FAIL",
                    ]
                })
            if let headline = rows.last { print(try Self.jsonLine(headline)) }
        }
        if rows.contains(where: { !$0.passed }) { throw ExitCode.failure }
    }

    static func jsonLine<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

extension Simulate {
    /// Load mode: devices enrolled with the given codes sync concurrently with a real server.
    private func runLoad(server: String) async throws {
        guard let enrolCodes else {
            throw ValidationError(
                """
                --server needs --enrol-codes FILE: one enrolment code per line, one device per code. Make them with
                'sync-server admin --database sqlite:PATH enrolment-code --adviser NAME' (the code is the last line).
                """)
        }
        var codes = try LoadTest.codes(fromFile: enrolCodes)
        if let devices { codes = Array(codes.prefix(devices)) }
        guard !codes.isEmpty else { throw ValidationError("no enrolment codes in \(enrolCodes)") }
        let load = LoadTest(
            serverURL: server, enrolmentCodes: codes, duration: .seconds(duration), seed: seed ?? 1)
        let report = try await load.run()
        if json {
            try Output.json(report)
        } else {
            print(report.summary)
            print(try Self.jsonLine(report))
        }
    }
}

extension StoreKind: ExpressibleByArgument {}
extension Workload: ExpressibleByArgument {}
