import FieldsyncTestSupport
import Foundation
import Logging
import SyncServer
import SyncSimulator

/// The capacity mode on one backend: one server for the whole search, a fleet that grows as the search asks
/// for more devices, one open-loop step per number of devices tried.
struct CapacityBenchmark: Sendable {
    var options: BenchOptions
    var serverExecutable: URL
    var work: URL
    var logger: Logger
    var progress: @Sendable (String) -> Void

    var plan: OpenLoopPlan {
        OpenLoopPlan(intervalSeconds: options.intervalSeconds, jitter: options.jitter, writeEvery: options.writeEvery)
    }

    /// Searches on `database`; the server is stopped before this returns or throws.
    func run(_ backend: Backend, database: String) async throws -> CapacityRun {
        // The bench's own connection provisions teams, advisers and codes as the fleet grows.
        let storage = try StorageLocation(parsing: database).open(logger: logger)
        return try await storage.withRunning { storage in
            try await search(backend, database: database, storage: storage)
        }
    }

    private func search(_ backend: Backend, database: String, storage: any SyncStorage) async throws -> CapacityRun {
        let name = backend.rawValue
        let layout = Fleet(
            devices: options.maxDevices, teamSize: options.teamSize, devicesPerAdviser: options.devicesPerAdviser)
        let serverLog = work.appendingPathComponent("server-capacity-\(name).log")
        let server = try SyncServerLauncher.underLoad(executable: serverExecutable, database: database, log: serverLog)
        defer { server.stop() }
        progress("\(name): sync-server at \(server.url)")
        let fleet = LoadFleet(serverURL: server.url, logger: logger)
        var search = CapacitySearch(
            start: options.startDevices, maximum: options.maxDevices, bisectSteps: options.bisectSteps)
        var steps: [CapacityStep] = []
        var provisionSeconds = 0.0
        var enrolSeconds = 0.0
        let stepDuration = Duration.milliseconds(Int(options.stepSeconds * 1_000))
        // Syncs due near the end of a step may end after it; those still running this long after are cancelled.
        let drain = Duration.milliseconds(Int(max(10, options.intervalSeconds / 2) * 1_000))

        while let devices = search.next {
            let enrolled = await fleet.count
            if devices > enrolled {
                let provisionStart = ContinuousClock.now
                let codes = try await layout.provision(
                    enrolled..<devices, in: storage, parallelism: options.adminParallelism)
                provisionSeconds += seconds(provisionStart.duration(to: .now))
                progress("\(name): enrolling \(codes.count) more devices (\(devices) in all)")
                let enrolStart = ContinuousClock.now
                try await fleet.enrol(codes: codes, parallelism: options.enrolParallelism)
                enrolSeconds += seconds(enrolStart.duration(to: .now))
            }

            let serverCPUBefore = ProcessStats.cpuSeconds(pid: server.pid)
            let postgresCPUBefore = ProcessStats.cpuSecondsByProcess(named: "postgres")
            let machineBefore = ProcessStats.machineTicks()
            let started = ContinuousClock.now
            let report = await fleet.runOpenLoop(
                devices: devices, plan: plan, duration: stepDuration, drain: drain, seed: options.seed,
                step: steps.count)
            let span = seconds(started.duration(to: .now))
            let postgresCPUAfter = ProcessStats.cpuSecondsByProcess(named: "postgres")
            let passed =
                report.syncs > 0 && report.failedRequests == 0 && report.failedSyncs == 0
                && report.latency.p99 <= options.p99Milliseconds
            let step = CapacityStep(
                devices: devices, passed: passed, seconds: options.stepSeconds, spanSeconds: span, report: report,
                syncsPerSecond: Double(report.syncs) / options.stepSeconds,
                notesPerSecond: Double(report.writes) / options.stepSeconds,
                serverCPUSeconds: ProcessStats.cpuSeconds(pid: server.pid).flatMap { after in
                    serverCPUBefore.map { after - $0 }
                },
                postgresCPUSeconds: backend == .postgres && !postgresCPUAfter.isEmpty
                    ? ProcessStats.cpuSeconds(from: postgresCPUBefore, to: postgresCPUAfter) : nil,
                machineBusyShare: ProcessStats.busyShare(from: machineBefore, to: ProcessStats.machineTicks()),
                loadAverageAfter: ProcessStats.loadAverage())
            steps.append(step)
            search.record(devices: devices, passed: passed)
            progress("\(name): " + CapacitySummary.stepLine(step))
        }

        await fleet.shutdown()
        let peak = ProcessStats.peakResidentMiB(pid: server.pid)
        let status = server.stop() ?? -1
        if status != 0 { progress("\(name): server log:\n" + SyncServerLauncher.tail(of: serverLog)) }
        return CapacityRun(
            backend: backend, highestDevices: steps.filter(\.passed).map(\.devices).max(), steps: steps,
            reachedMaximum: search.reachedMaximum,
            provisionSeconds: provisionSeconds, enrolSeconds: enrolSeconds, serverPeakMebibytes: peak,
            serverExitStatus: status)
    }
}
