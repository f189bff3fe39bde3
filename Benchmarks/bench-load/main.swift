// bench-load: N simulated devices syncing concurrently against one real sync-server, on SQLite and on PostgreSQL.
//
// For each backend: provision teams, advisers and one enrolment code per device with `sync-server admin`, start
// `sync-server serve` on a loopback port, run SyncSimulator's LoadTest (each device enrols, then writes a note or
// edits one and syncs, again and again) for the duration, stop the server with SIGTERM. Prints progress to
// stderr, then a table, the ratio PostgreSQL/SQLite and a JSON line. The devices and the server (and PostgreSQL)
// share this machine's cores, so the figures are those of one small box doing both sides.
//
// With --mode capacity it searches instead for the most devices one server takes, each syncing every --interval
// seconds, open loop, with p99 <= --p99-ms (CapacityBenchmark, CapacitySearch).
//
//   scripts/bench-load.sh [--devices N] [--duration S]      (builds in release, starts a throwaway PostgreSQL)
//   scripts/bench-load.sh --mode capacity                   (the capacity search, S = 60 s)
import FieldsyncTestSupport
import Foundation
import Logging
import SyncSimulator

#if canImport(Glibc)
import Glibc
#endif

/// Writes a line to standard output at once (`print` buffers into a file, and a killed run would lose it).
func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
func progress(_ line: String) { FileHandle.standardError.write(Data("[bench-load] \(line)\n".utf8)) }
func fail(_ message: String, status: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("bench-load: \(message)\n".utf8))
    exit(status)
}
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

let options: BenchOptions
do {
    guard
        let parsed = try BenchOptions.parse(
            Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
    else {
        print(BenchOptions.usage)
        exit(0)
    }
    options = parsed
} catch {
    fail("\(error)\n\(BenchOptions.usage)", status: 2)
}

LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
let logger: Logger = {
    var logger = Logger(label: "fieldsync.bench-load")
    logger.logLevel = .error
    return logger
}()

let serverExecutable = BuiltProducts.besideRunningExecutable("sync-server")
guard FileManager.default.isExecutableFile(atPath: serverExecutable.path) else {
    fail(
        "no sync-server next to bench-load (\(serverExecutable.path)): build it "
            + "(swift build -c release --product sync-server)")
}
let work = FileManager.default.temporaryDirectory.appendingPathComponent("bench-load-\(UUID().uuidString.prefix(8))")
do {
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
} catch {
    fail("cannot create \(work.path): \(error)")
}

let loadAverageStart = ProcessStats.loadAverage()
progress(
    "machine: \(ProcessStats.cores) cores, load average "
        + loadAverageStart.map { String(format: "%.2f", $0) }.joined(separator: " ")
        + " at start; the devices, the server and PostgreSQL share these cores")

/// Provisions, serves and loads one backend; the server is stopped before this returns or throws.
@MainActor
func run(_ backend: Backend, database: String) async throws -> BackendRun {
    let fleet = Fleet(
        devices: options.devices, teamSize: options.teamSize,
        devicesPerAdviser: options.devicesPerAdviser)
    let admin = AdminCommand(executable: serverExecutable, database: database)
    progress("\(backend.rawValue): provisioning \(fleet.teams.count) teams with the admin command")
    let provisionStart = ContinuousClock.now
    let codes = try await fleet.provision(with: admin, parallelism: options.adminParallelism) {
        progress("\(backend.rawValue): \($0)")
    }
    let provisionSeconds = seconds(provisionStart.duration(to: .now))

    progress("\(backend.rawValue): starting sync-server")
    let serverLog = work.appendingPathComponent("server-\(backend.rawValue).log")
    let server = try SyncServerLauncher.underLoad(executable: serverExecutable, database: database, log: serverLog)
    defer { server.stop() }
    progress(
        "\(backend.rawValue): sync-server at \(server.url); enrolling \(codes.count) devices, then "
            + String(format: "%.0f s of load", options.durationSeconds))

    let serverCPUBefore = ProcessStats.cpuSeconds(pid: server.pid)
    let clientCPUBefore = ProcessStats.ownCPUSeconds()
    let postgresCPUBefore = ProcessStats.cpuSecondsByProcess(named: "postgres")
    let machineBefore = ProcessStats.machineTicks()
    let started = ContinuousClock.now
    let load = LoadTest(
        serverURL: server.url, enrolmentCodes: codes, duration: .milliseconds(Int(options.durationSeconds * 1_000)),
        seed: options.seed, logger: logger)
    let report = try await load.run()
    let span = seconds(started.duration(to: .now))
    let serverCPU = ProcessStats.cpuSeconds(pid: server.pid).flatMap { after in
        serverCPUBefore.map { after - $0 }
    }
    let clientCPU = ProcessStats.ownCPUSeconds() - clientCPUBefore
    let postgresCPUAfter = ProcessStats.cpuSecondsByProcess(named: "postgres")
    let machineBusy = ProcessStats.busyShare(from: machineBefore, to: ProcessStats.machineTicks())
    let postgresCPU =
        backend == .postgres && !postgresCPUAfter.isEmpty
        ? ProcessStats.cpuSeconds(from: postgresCPUBefore, to: postgresCPUAfter) : nil
    let serverPeak = ProcessStats.peakResidentMiB(pid: server.pid)
    // -1: it did not stop within 30 s of SIGTERM and was killed.
    let status = server.stop() ?? -1
    progress(
        "\(backend.rawValue): \(report.syncs) syncs, \(report.requests) requests "
            + "(\(report.failedRequests) failed); server exited with \(status)")
    if status != 0 {
        progress("\(backend.rawValue): server log:\n" + SyncServerLauncher.tail(of: serverLog))
    }
    return BackendRun(
        backend: backend, provisionSeconds: provisionSeconds, enrolAndLoadSeconds: span, report: report,
        serverCPUSeconds: serverCPU, clientCPUSeconds: clientCPU, postgresCPUSeconds: postgresCPU,
        machineBusyShare: machineBusy, serverPeakMebibytes: serverPeak, serverExitStatus: status,
        loadAverageAfter: ProcessStats.loadAverage())
}

/// Runs `body` once per backend asked for, each on a fresh database (a temporary SQLite file, a scratch
/// PostgreSQL database dropped afterwards); collects the runs, the skipped backends and the failures.
@MainActor
func forEachBackend<Run>(
    _ body: (Backend, _ database: String) async throws -> Run
) async -> (runs: [Run], skipped: [String], failures: [String]) {
    var runs: [Run] = []
    var skipped: [String] = []
    var failures: [String] = []
    for backend in options.backends {
        switch backend {
        case .sqlite:
            let path = work.appendingPathComponent("server.sqlite").path
            do {
                runs.append(try await body(.sqlite, "sqlite:" + path))
            } catch {
                failures.append("sqlite: \(error)")
            }
        case .postgres:
            guard let serverURL = options.postgresURL else {
                emit(
                    "PostgreSQL: skipped (no --postgres URL, FIELDSYNC_BENCH_POSTGRES_URL or "
                        + "FIELDSYNC_TEST_POSTGRES_URL)")
                skipped.append(Backend.postgres.title)
                continue
            }
            do {
                let scratch = try await ScratchDatabase.create(serverURL: serverURL, logger: logger)
                progress("postgres: fresh database \(scratch.name) on \(ScratchDatabase.redacted(serverURL))")
                do {
                    runs.append(try await body(.postgres, scratch.url))
                } catch {
                    failures.append("postgres: \(error)")
                }
                try await scratch.drop(logger: logger)
            } catch {
                failures.append("postgres: \(error)")
            }
        }
    }
    return (runs, skipped, failures)
}

if options.mode == .capacity {
    let capacity = CapacityBenchmark(
        options: options, serverExecutable: serverExecutable, work: work, logger: logger, progress: progress)
    var (capacityRuns, capacitySkipped, capacityFailures) = await forEachBackend { backend, database in
        try await capacity.run(backend, database: database)
    }
    try? FileManager.default.removeItem(at: work)
    let capacitySummary = CapacitySummary(
        options: options, loadAverageStart: loadAverageStart, runs: capacityRuns, skipped: capacitySkipped)
    emit(capacitySummary.text)
    do {
        emit(try capacitySummary.json())
    } catch {
        capacityFailures.append("cannot encode the JSON line: \(error)")
    }
    capacityFailures += capacityRuns.compactMap(\.failure)
    if capacityRuns.isEmpty && capacityFailures.isEmpty { capacityFailures.append("no backend ran") }
    if !capacityFailures.isEmpty { fail("FAILED\n" + capacityFailures.joined(separator: "\n")) }
    exit(0)
}

var (runs, skipped, failures) = await forEachBackend(run)
try? FileManager.default.removeItem(at: work)

let summary = BenchSummary(options: options, loadAverageStart: loadAverageStart, runs: runs, skipped: skipped)
emit(summary.text)
do {
    emit(try summary.json())
} catch {
    failures.append("cannot encode the JSON line: \(error)")
}
failures += runs.compactMap { $0.failure(maxFailedFraction: options.maxFailedFraction) }
if runs.isEmpty && failures.isEmpty { failures.append("no backend ran") }
if !failures.isEmpty {
    fail("FAILED\n" + failures.joined(separator: "\n"))
}
