import Foundation
import LocalStore
import Logging
import SyncProtocol

/// A deterministic simulation of many offline devices syncing with one server (the shipped ``SyncService`` over a
/// real SQLite database) through a faulty network, ending with the convergence oracle.
///
/// One seeded schedule drives everything: advisers' local operations, background syncs, lost,
/// duplicated, delayed and reordered messages, offline periods, partitions, apps killed mid-sync,
/// server restarts and storage errors. Devices run the real ``SyncEngine`` on real stores, one at a
/// time, in virtual time: a run of hours takes seconds, and the same seed gives the same run, event
/// for event (see ``SimulationReport/eventHash``).
///
/// ```swift
/// let report = try await Simulation(options: SimulationOptions(seed: 7, devices: 30, operationsPerDevice: 40)).run()
/// #expect(report.passed, "\(report.summary)")
/// ```
public final class Simulation {
    enum Event {
        case operation(Int)
        case purge(team: Int)
        case startSync(Int, generation: Int)
        case arrive(device: Int, call: UInt64, Envelope)
        case respond(device: Int, call: UInt64, epoch: Int, Answer)
        case timeout(device: Int, call: UInt64)
        case wake(device: Int, call: UInt64)
        case online(Int)
        case partitionStart
        case partitionEnd([Int])
        case serverDown
        case serverUp
        case kill(Int)
        /// The server's periodic run of access ends (version 2).
        case expireAccess
    }

    /// A request on the wire: the value (for its kind and team) and, when encoding, its JSON body.
    struct Envelope {
        var request: WireRequest
        var body: Data?
        var isCopy: Bool
    }

    /// An answer on the wire.
    enum Answer {
        case response(WireResponse, body: Data?)
        case failure(SyncTransportError)
    }

    /// The options of this run.
    public let options: SimulationOptions
    var queue = EventQueue<Event>()
    let clock = VirtualClock()
    var log: EventLog
    var random: SimulationRandom
    let hub = DeviceHub()
    var server: SimulatedServer!
    var roster: Roster
    var devices: [SimulatedDevice] = []
    var ledger = WriteLedger()
    var stats = SimulationStats()
    var directory: URL?
    var ownsDirectory = false

    var faultsActive = false
    var quiescing = false
    var serverIsUp = true
    var serverEpoch = 0
    var operationsPending = 0
    var purgesPending = 0
    var roundMovement = 0
    var roundFailures = 0
    var runFailures: [OracleFailure] = []

    /// Subjects of each adviser's caseload, and notes each adviser wrote, in creation order.
    var caseloads: [[RecordKey]] = []
    var references: [RecordKey: String] = [:]
    var notesBy: [[RecordKey]] = []
    /// Which team each record belongs to, and short names for the log.
    var teamOf: [RecordKey: Int] = [:]
    var aliases: [RecordKey: String] = [:]
    /// Which device holds each replica id.
    var replicaOwners: [ReplicaID: Int] = [:]
    var nextToken = 0

    /// Prepares a run; nothing happens until ``run()``.
    public init(options: SimulationOptions) {
        self.options = options
        let master = SimulationRandom(seed: options.seed)
        var layout = master.split(1)
        roster = Roster(deviceCount: options.devices, teamSize: options.advisersPerTeam, random: &layout)
        random = master.split(2)
        log = EventLog(sink: options.trace)
    }

    var now: Int64 { clock.now }

    /// Runs the simulation to quiescence and checks the result with the oracle.
    ///
    /// - Throws: only when the run cannot be set up (a store cannot be created); everything that goes
    ///   wrong during the run is a failure in the report.
    public func run() async throws -> SimulationReport {
        let started = ContinuousClock.now
        do {
            try await setUp()
        } catch {
            await tearDown()
            throw error
        }
        startActivePhase()
        await runEvents(until: { self.operationsPending == 0 && self.purgesPending == 0 })
        options.logger.debug("active phase over", metadata: ["virtual-ms": "\(now)", "events": "\(log.count)"])
        let converged = await quiesce()
        var oracle = Oracle(simulation: self)
        await oracle.check(converged: converged)
        let elapsed = started.duration(to: .now)
        let report = await makeReport(oracle: oracle, converged: converged, wallTime: elapsed)
        await tearDown()
        return report
    }

    // MARK: Event loop

    /// Processes events in time order until `done()` holds after an event, or no event is left.
    func runEvents(until done: () -> Bool) async {
        while let (time, event) = queue.pop() {
            if quiescing && Self.isFault(event) {
                // Faults are off: their pending events are void and must not advance the clock.
                continue
            }
            clock.now = max(clock.now, time)
            await process(event)
            if done() { return }
        }
    }

    static func isFault(_ event: Event) -> Bool {
        switch event {
        case .online, .partitionStart, .partitionEnd, .serverDown, .serverUp, .kill: true
        default: false
        }
    }

    func schedule(_ event: Event, at time: Int64) {
        queue.schedule(event, at: max(time, now))
    }

    func record(_ text: String) {
        log.append(now, text)
    }

    func alias(_ key: RecordKey) -> String {
        aliases[key] ?? key.description
    }

    func process(_ event: Event) async {
        switch event {
        case .operation(let index): await operate(devices[index])
        case .purge(let team): await purge(team: team)
        case .startSync(let index, let generation):
            // A newer request superseded this one.
            guard generation == devices[index].syncGeneration else { return }
            await startSync(devices[index])
        case .arrive(let index, let call, let envelope): await arrive(devices[index], call: call, envelope)
        case .respond(let index, let call, let epoch, let answer):
            await respond(devices[index], call: call, epoch: epoch, answer)
        case .timeout(let index, let call): await timeOut(devices[index], call: call)
        case .wake(let index, let call):
            if let signal = await hub.wake(device: index, call: call) { await handle(signal) }
        case .online(let index): goOnline(devices[index])
        case .partitionStart: startPartition()
        case .partitionEnd(let cut): endPartition(cut)
        case .serverDown: serverDown()
        case .serverUp: serverUp()
        case .kill(let index): await kill(devices[index])
        case .expireAccess:
            await expireAccess(at: date)
            if operationsPending > 0 { schedule(.expireAccess, at: now + 3_600_000) }
        }
    }

    // MARK: Syncs

    /// Asks for a sync at `time`, unless one is already due no later.
    func requestSync(_ device: SimulatedDevice, at time: Int64) {
        if device.syncQueued && device.syncDue <= time { return }
        device.syncQueued = true
        device.syncDue = time
        device.syncGeneration += 1
        schedule(.startSync(device.index, generation: device.syncGeneration), at: time)
    }

    func startSync(_ device: SimulatedDevice) async {
        device.syncQueued = false
        guard device.online, !device.syncing else { return }
        device.syncing = true
        device.syncStarted = now
        stats.syncsStarted += 1
        record("\(device.name) sync-start")
        let engine = device.engine
        let hub = hub
        let index = device.index
        let signal = await hub.run {
            device.task = Task {
                do throws(SyncError) {
                    let summary = try await engine.sync()
                    hub.finished(device: index, .success(summary))
                } catch {
                    hub.finished(device: index, .failure(error))
                }
            }
        }
        await handle(signal)
    }

    /// Acts on what a device did when it stopped running.
    func handle(_ signal: DeviceSignal) async {
        switch signal {
        case .request(let index, let call, let request):
            send(devices[index], call: call, request)
        case .sleep(let index, let call, let duration):
            let wait = duration.milliseconds
            record("\(devices[index].name) backoff \(wait)ms")
            schedule(.wake(device: index, call: call), at: now + wait)
        case .finished(let index, let result):
            await finish(devices[index], result)
        }
    }

    func finish(_ device: SimulatedDevice, _ result: Result<SyncSummary, SyncError>) async {
        device.syncing = false
        device.task = nil
        switch result {
        case .success(let summary):
            stats.syncsCompleted += 1
            stats.recordsPushed += summary.sent
            stats.recordsPulled += summary.received
            stats.recordsRemoved += summary.removed
            roundMovement += summary.sent + summary.received
            record(
                "\(device.name) sync-done sent \(summary.sent) received \(summary.received) "
                    + "conflicts \(summary.conflicts) retries \(summary.retries)")
            if !quiescing {
                requestSync(device, at: now + device.random.exponential(mean: options.meanSyncInterval))
            }
        case .failure(let error):
            if case .cancelled = error.reason {
                stats.syncsKilled += 1
            } else {
                stats.syncsFailed += 1
            }
            roundFailures += 1
            record("\(device.name) sync-failed \(error.phase.rawValue) \(Self.reason(error))")
            if case .storage = error.reason {
                runFailures.append(OracleFailure(kind: "store", detail: "\(device.name): \(error)"))
            }
            await settleRefusal(error, on: device)
            // Try again a little later, as the app would; at quiescence, soon.
            let delay = quiescing ? 1_000 : 60_000 + device.random.exponential(mean: 4 * 60_000)
            requestSync(device, at: now + delay)
        }
    }

    static func reason(_ error: SyncError) -> String {
        switch error.reason {
        case .transport(let failure):
            if let transport = failure as? SyncTransportError {
                switch transport.kind {
                case .unreachable: return "unreachable"
                case .cannotConnect: return "cannot-connect"
                case .timedOut: return "timed-out"
                case .server(let status, let body): return "\(status)-\(body.code.rawValue)"
                case .invalidResponse: return "invalid-response"
                case .invalidRequest: return "invalid-request"
                }
            }
            return "transport"
        case .storage: return "storage"
        case .unsupportedVersion: return "unsupported-version"
        case .invalidResponse: return "invalid-response"
        case .recordTooLarge: return "record-too-large"
        case .replicaRolledBack: return "replica-rolled-back"
        case .teamAccessEnded: return "team-access-ended"
        case .alreadySyncing: return "already-syncing"
        case .cancelled: return "cancelled"
        }
    }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
