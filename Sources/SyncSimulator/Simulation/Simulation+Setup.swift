import Foundation
import LocalStore
import SyncProtocol

extension Simulation {
    /// Creates the server, the devices and their stores, the advisers' caseloads, and syncs every device
    /// once without faults (as after enrolment).
    func setUp() async throws {
        server = try await SimulatedServer.start(
            seed: options.seed, merge: options.merge, forgetsNarrowing: options.serverForgetsNarrowing,
            database: options.serverDatabase, logger: options.logger)
        for team in roster.teams { try await server.createTeam(team.name, at: date) }
        for (team, partner) in roster.partners {
            try await server.addPartner(roster.teams[team].name, with: roster.teams[partner].name, at: date)
        }
        if options.storeKind == .encrypted {
            if let given = options.directory {
                directory = given
            } else {
                directory = FileManager.default.temporaryDirectory
                    .appendingPathComponent("fieldsync-sim-\(options.seed)-\(UUID().uuidString.prefix(8))")
                ownsDirectory = true
            }
        }
        let master = SimulationRandom(seed: options.seed)
        for spec in roster.devices {
            var stream = master.split(1_000 + UInt64(spec.index))
            let storage = try makeStorage(spec, random: &stream)
            let environment = DeviceEnvironment(name: spec.name, seed: stream.split(1), clock: clock)
            let device = SimulatedDevice(
                spec: spec, storage: storage, environment: environment,
                engine: makeEngine(
                    index: spec.index, team: roster.teams[spec.team].name, storage: storage,
                    environment: environment),
                random: stream.split(2))
            if options.devicesIgnoreRemovals { await storage.setIgnoresRemovals(true) }
            devices.append(device)
            replicaOwners[storage.replica] = spec.index
            let adviser: String
            if case .adviser(let index) = spec.role {
                adviser = roster.advisers[index].name
            } else {
                adviser = spec.name
            }
            try await server.enrol(
                device: spec.name, replica: storage.replica, adviser: adviser, team: roster.teams[spec.team].name,
                canPurge: spec.role == .console, at: date)
        }
        caseloads = Array(repeating: [], count: roster.advisers.count)
        notesBy = Array(repeating: [], count: roster.advisers.count)
        for adviser in roster.advisers {
            let device = devices[adviser.devices[0]]
            for number in 0..<adviser.caseload {
                let reference = "t\(adviser.team)-\(adviser.name)-y\(number)"
                let status = device.random.pick(NoteText.statuses)
                let action = LocalAction.addSubject(
                    id: device.random.hex(32), reference: reference, adviser: adviser.name, status: status,
                    nextStep: NoteText.line(takeToken(), random: &device.random) + "\n")
                if let key = await perform(action, on: device) {
                    caseloads[adviser.index].append(key)
                    references[key] = reference
                }
            }
        }
        record("setup: \(roster.advisers.count) advisers, \(ledger.writes) subjects")
        // Enrolment: every device starts with the team's records.
        _ = await syncRounds(maxRounds: 4)
    }

    func makeStorage(_ spec: Roster.DeviceSpec, random: inout SimulationRandom) throws -> DeviceStorage {
        guard options.storeKind == .encrypted, spec.role != .console, let directory else {
            return DeviceStorage(memory: ReplicaID.random(using: &random))
        }
        let place = directory.appendingPathComponent(spec.name)
        let passphrase = Passphrase("simulated passphrase of \(spec.name)")
        let storeOptions = LocalStore.Options(encryption: .encrypted(.testing))
        let adviser: String
        if case .adviser(let index) = spec.role { adviser = roster.advisers[index].name } else { adviser = "console" }
        let store = try LocalStore.create(
            at: place, passphrase: passphrase, adviser: adviser, deviceName: spec.name, options: storeOptions)
        try store.saveEnrolment(
            Enrolment(
                serverURL: "simulated://server", deviceID: "dev-\(spec.name)", team: roster.teams[spec.team].name),
            token: "token-\(spec.name)")
        return DeviceStorage(local: store, directory: place, passphrase: passphrase, options: storeOptions)
    }

    func makeEngine(
        index: Int, team: String, storage: DeviceStorage, environment: DeviceEnvironment
    ) -> SimulatedDevice.Engine {
        SyncEngine(
            storage: storage, transport: SimulatedTransport(device: index, hub: hub),
            configuration: .init(
                team: team, replica: storage.replica, maxBatchRecords: options.batchSize, pageLimit: options.pageSize,
                clientName: "fieldsync-simulator", prefetchPages: false),
            environment: environment.environment(device: index, hub: hub))
    }

    /// Schedules the advisers' operations, the consoles' purges, background syncs and the fault clock.
    func startActivePhase() {
        faultsActive = true
        let span = max(1, Int64(options.operationsPerDevice) * options.meanOperationGap)
        for device in devices {
            if !device.isConsole && options.operationsPerDevice > 0 {
                device.operationsLeft = options.operationsPerDevice
                operationsPending += device.operationsLeft
                schedule(.operation(device.index), at: now + device.random.exponential(mean: options.meanOperationGap))
            }
            requestSync(device, at: now + Int64(device.random.int(0..<Int(options.meanSyncInterval))))
        }
        for team in roster.teams {
            let expected = options.purgeRate * Double(team.devices.count * options.operationsPerDevice)
            var count = Int(expected)
            if random.chance(expected - Double(count)) { count += 1 }
            for _ in 0..<count {
                purgesPending += 1
                schedule(.purge(team: team.index), at: now + Int64(random.int(0..<Int(span))))
            }
        }
        let faults = options.faults
        if faults.meanPartitionInterval > 0 {
            schedule(.partitionStart, at: now + random.exponential(mean: faults.meanPartitionInterval))
        }
        if faults.meanRestartInterval > 0 {
            schedule(.serverDown, at: now + random.exponential(mean: faults.meanRestartInterval))
        }
        if options.workload == .scopes && !roster.partners.isEmpty {
            schedule(.expireAccess, at: now + 3_600_000)
        }
        record("active phase: \(operationsPending) operations, \(purgesPending) purges")
    }

    /// Turns every fault off, brings every device online and syncs all of them, round after round, until
    /// a whole round moves nothing. Returns whether that happened within the allowed rounds.
    func quiesce() async -> Bool {
        faultsActive = false
        serverIsUp = true
        for device in devices {
            device.online = true
            device.partitioned = false
        }
        record("quiescence")
        if options.workload == .scopes {
            // The calendar runs on past every overlap a handover left (at most two days), so each access that was
            // to end has ended before the last syncs.
            await expireAccess(at: date.addingTimeInterval(3 * 86_400))
        }
        return await syncRounds(maxRounds: options.maxQuiescenceRounds)
    }

    /// Syncs every device, round after round, until a round moves nothing.
    func syncRounds(maxRounds: Int) async -> Bool {
        quiescing = true
        defer { quiescing = false }
        for round in 1...max(1, maxRounds) {
            roundMovement = 0
            roundFailures = 0
            for device in devices { requestSync(device, at: now) }
            await runEvents(until: { false })
            stats.quiescenceRounds += 1
            record("round \(round): moved \(roundMovement), failed \(roundFailures)")
            if roundMovement == 0 && roundFailures == 0 { return true }
        }
        return false
    }

    /// Closes the stores and removes a temporary directory.
    func tearDown() async {
        for device in devices {
            device.task?.cancel()
            await device.storage.close()
        }
        if ownsDirectory, let directory { try? FileManager.default.removeItem(at: directory) }
        await server?.close()
    }

    /// A fresh token for a line of text.
    func takeToken() -> Int {
        nextToken += 1
        return nextToken
    }
}
