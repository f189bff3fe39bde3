import Foundation
import Logging
import SyncClient
import SyncProtocol
import SyncProtocolTesting

/// One device of the load mode: enrolled with a code, an in-memory store, the real engine over HTTP.
struct LoadDevice: Sendable {
    /// What one device did.
    struct Totals: Sendable {
        var syncs = 0
        var failedSyncs = 0
        var writes = 0
        var pushed = 0
        var pulled = 0

        mutating func add(_ other: Totals) {
            syncs += other.syncs
            failedSyncs += other.failedSyncs
            writes += other.writes
            pushed += other.pushed
            pulled += other.pulled
        }
    }

    /// Runs one sync and counts it in `totals`; whether it succeeded.
    @discardableResult
    func syncOnce(counting totals: inout Totals) async -> Bool {
        do {
            let summary = try await engine.sync()
            totals.syncs += 1
            totals.pushed += summary.sent
            totals.pulled += summary.received
            return true
        } catch {
            totals.failedSyncs += 1
            return false
        }
    }

    let index: Int
    let storage: InMemoryReplicaStorage
    let transport: ReconnectingTransport
    let engine: SyncEngine<InMemoryReplicaStorage, TimedTransport<ReconnectingTransport>>
    let subject: RecordKey
    /// When the open loop meant the next sync to start (its first request is timed from there).
    let scheduledStart: ScheduledStart

    /// Trades `code` for a token and a replica id, and prepares the device's store and engine.
    static func enrol(
        code: String, index: Int, serverURL: String, recorder: LatencyRecorder, logger: Logger
    ) async throws -> LoadDevice {
        let enrolling = try HTTPSyncTransport(
            configuration: SyncClientConfiguration(baseURL: serverURL), logger: logger)
        let response: EnrollResponse
        do {
            response = try await enrolling.enroll(EnrollRequest(code: code, deviceName: "load-\(index)"))
        } catch {
            try? await enrolling.shutdown()
            throw error
        }
        try? await enrolling.shutdown()
        guard let team = response.teams.first else {
            throw SyncTransportError(kind: .invalidResponse, message: "device load-\(index) belongs to no team")
        }
        let transport = ReconnectingTransport(
            configuration: SyncClientConfiguration(baseURL: serverURL, token: response.token), logger: logger)
        let storage = InMemoryReplicaStorage(replica: response.replica)
        let subject = try await storage.create(
            collection: Schemas.subjects.collection, id: "load-\(response.replica.rawValue)-subject",
            values: ["reference": .string("load-\(response.replica.rawValue)"), "status": .string("in-job")],
            schema: Schemas.subjects)
        let scheduledStart = ScheduledStart()
        let engine = SyncEngine(
            storage: storage,
            transport: TimedTransport(base: transport, recorder: recorder, scheduledStart: scheduledStart),
            configuration: .init(team: team, replica: response.replica, clientName: "fieldsync-simulator-load"))
        return LoadDevice(
            index: index, storage: storage, transport: transport, engine: engine, subject: subject.key,
            scheduledStart: scheduledStart)
    }

    /// Writes and syncs until `deadline`.
    func run(until deadline: ContinuousClock.Instant, seed: UInt64) async -> Totals {
        var random = SimulationRandom(seed: seed).split(UInt64(index))
        var totals = Totals()
        var notes: [RecordKey] = []
        var token = 0
        while ContinuousClock.now < deadline {
            token += 1
            let line = NoteText.line(index * 1_000_000 + token, random: &random)
            do {
                if notes.isEmpty || random.chance(0.6) {
                    notes.append(try await writeNote(line, random: &random))
                } else {
                    let key = random.pick(notes.suffix(5))
                    let body = await storage.record(key)?.value("body")?.textValue ?? ""
                    try await storage.update(key, values: ["body": .text(body + line + "\n")])
                }
                totals.writes += 1
            } catch {
                continue
            }
            await syncOnce(counting: &totals)
        }
        return totals
    }

    /// Creates a note about the device's subject, as an adviser writes one.
    func writeNote(_ line: String, random: inout SimulationRandom) async throws -> RecordKey {
        let note = try await storage.create(
            collection: Schemas.notes.collection, id: random.hex(32),
            values: [
                "subject": .reference(subject.id), "kind": .string(random.pick(NoteText.kinds)),
                "occurredAt": .timestamp(Timestamp(Date())), "body": .text(line + "\n"),
            ],
            schema: Schemas.notes)
        return note.key
    }
}
