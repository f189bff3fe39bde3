import Foundation
import Logging
import SyncProtocol
import SyncServer

/// The server of a simulation: the shipped ``SyncService`` over a real storage backend, called at its message
/// level, as its HTTP routes call it, without sockets. By default a ``SQLiteStorage`` in a temporary directory
/// (under `/dev/shm` when the machine has it, so the database's fsyncs cost little); with a PostgreSQL URL, a
/// ``PostgresStorage`` on a database of its own, created on that server for the run and dropped after it.
///
/// Teams, advisers and devices are made through the storage's administration API and enrolment codes, with
/// each device's own replica id. The database chooses a random replica id for the server; the simulation sets
/// a fixed one (``replica``) before serving, so the server's own writes (access that ends) carry the same dots
/// in every run of a seed. A simulated restart is a time without answers (connections reset); the database and the
/// service stay, like the server's disk. ``close()`` removes the database.
final class SimulatedServer {
    /// The server's replica id in every simulation.
    static let replica = try! ReplicaID("sim-server")

    let storage: any SyncStorage
    let service: SyncService
    let merge: MergeFunction
    private let logger: Logger
    /// Stops the backend and removes its database.
    private let cleanup: () async -> Void
    /// The token digest of each device, by device name.
    private var tokens: [String: String] = [:]

    private init(
        storage: any SyncStorage, service: SyncService, merge: MergeFunction, logger: Logger,
        cleanup: @escaping () async -> Void
    ) {
        self.storage = storage
        self.service = service
        self.merge = merge
        self.logger = logger
        self.cleanup = cleanup
    }

    /// Creates the database (SQLite when `database` is `nil`, else a scratch database on the PostgreSQL server of
    /// that URL), sets the server's replica id and prepares the service.
    static func start(
        seed: UInt64, merge: MergeFunction, forgetsNarrowing: Bool, database: String? = nil, logger: Logger
    ) async throws -> SimulatedServer {
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let (storage, cleanup) = try await openStorage(seed: seed, database: database, logger: quiet)
        do {
            try await storage.migrate()
            switch storage {
            case let sqlite as SQLiteStorage: try await sqlite.setServerReplica(replica)
            case let postgres as PostgresStorage: try await postgres.setServerReplica(replica)
            default: break
            }
            let rules = SyncServiceRules(merge: merge.merge, forgetsNarrowing: forgetsNarrowing)
            let service = SyncService(
                storage: storage, configuration: ServerConfiguration(), rules: rules, logger: quiet)
            try await service.prepare()
            return SimulatedServer(storage: storage, service: service, merge: merge, logger: quiet, cleanup: cleanup)
        } catch {
            await cleanup()
            throw error
        }
    }

    /// A fresh, running storage and what removes it.
    private static func openStorage(
        seed: UInt64, database: String?, logger: Logger
    ) async throws -> (any SyncStorage, () async -> Void) {
        let suffix = UUID().uuidString.prefix(8).lowercased()
        if let database {
            guard case .postgres = try StorageLocation(parsing: database) else {
                throw StorageError.unsupported(
                    "the simulation's --server-database must be a postgres:// URL (SQLite is the default)")
            }
            let name = "fieldsync_sim_\(seed)_\(suffix)"
            let url = try await PostgresStorage.createScratchDatabase(named: name, on: database, logger: logger)
            let storage = try PostgresStorage(url: url, maximumConnections: 4, logger: logger)
            let running = Task { try await storage.run() }
            return (
                storage,
                {
                    running.cancel()
                    _ = await running.result
                    try? await PostgresStorage.dropScratchDatabase(named: name, on: database, logger: logger)
                }
            )
        }
        let shm = URL(fileURLWithPath: "/dev/shm", isDirectory: true)
        var isDirectory: ObjCBool = false
        let hasShm =
            FileManager.default.fileExists(atPath: shm.path, isDirectory: &isDirectory) && isDirectory.boolValue
        let parent = hasShm ? shm : FileManager.default.temporaryDirectory
        let directory = parent.appendingPathComponent("fieldsync-sim-server-\(seed)-\(suffix)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            let storage = try SQLiteStorage(path: directory.appendingPathComponent("server.db").path, logger: logger)
            return (storage, { try? FileManager.default.removeItem(at: directory) })
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// Stops the backend and removes the database.
    func close() async {
        await cleanup()
    }

    // MARK: Administration

    /// Creates a team.
    func createTeam(_ name: String, at date: Date) async throws {
        _ = try await storage.createTeam(named: name, at: date)
    }

    /// Lets two teams share with each other.
    func addPartner(_ team: String, with partner: String, at date: Date) async throws {
        try await storage.addPartner(team: team, with: partner, at: date)
    }

    /// Makes `adviser` a member of `team` and enrols the device `name` for them with its own replica id, as
    /// `sync-server admin` and `POST /v1/enroll` would (a one-time code, a token stored as its digest).
    func enrol(
        device name: String, replica: ReplicaID, adviser: String, team: String, canPurge: Bool, at date: Date
    ) async throws {
        try await storage.addAdviser(named: adviser, toTeam: team, canPurge: canPurge, at: date)
        let code = "code-\(name)"
        try await storage.storeEnrolmentCode(
            digest: Secrets.enrolmentCodeDigest(code), adviser: adviser, expiresAt: date.addingTimeInterval(86_400),
            at: date)
        let digest = Secrets.tokenDigest("token-\(name)")
        _ = try await storage.redeemEnrolmentCode(
            digest: Secrets.enrolmentCodeDigest(code),
            device: NewDevice(id: "dev-\(name)", replica: replica.rawValue, label: name, tokenDigest: digest), at: date)
        tokens[name] = digest
    }

    // MARK: Requests

    /// Handles one request from `device` as the HTTP server would after authenticating its token.
    func handle(_ request: WireRequest, device: String) async -> Result<WireResponse, ErrorBody> {
        do {
            guard let digest = tokens[device], let identity = try await storage.device(tokenDigest: digest) else {
                return .failure(ErrorBody(code: .unauthorized, message: "the device token is not known"))
            }
            guard !identity.revoked else {
                return .failure(
                    ErrorBody(code: .deviceRevoked, message: "this device has been revoked; enrol it again"))
            }
            switch request {
            case .hello(let hello):
                return .success(.hello(try service.hello(hello, identity: identity)))
            case .push(let batch, let team):
                return .success(.push(try await service.push(batch, identity: identity, team: team, logger: logger)))
            case .pull(let pull, let team):
                let body = try await service.pull(pull, identity: identity, team: team, logger: logger)
                return .success(.pull(try WireCoding.decode(PullPage.self, from: body)))
            }
        } catch let error as APIError {
            return .failure(error.body)
        } catch let error as StorageError {
            if case .teamNotFound = error {
                return .failure(ErrorBody(code: .forbiddenTeam, message: "the team is not one of this device's teams"))
            }
            return .failure(ErrorBody(code: .unavailable, message: "the database is unavailable"))
        } catch {
            return .failure(ErrorBody(code: .internalError, message: "\(error)"))
        }
    }

    // MARK: Reading the final state

    /// Every record the server holds, with its home team (the oracle computes readers from them).
    func records() async throws -> [Record] {
        var result: [Record] = []
        for collection in [ScopeFields.subjects, ScopeFields.notes] {
            for entry in try await storage.records(inCollection: collection) {
                result.append(try WireCoding.decode(Record.self, from: entry.body))
            }
        }
        return result
    }

    /// Every subject the server holds.
    func subjects() async throws -> [Record] {
        try await storage.records(inCollection: ScopeFields.subjects).map {
            try WireCoding.decode(Record.self, from: $0.body)
        }
    }

    /// Ends the accesses due at `date` (``AccessExpiry``), as the running server does every few minutes.
    func expireAccess(at date: Date) async throws -> AccessExpiry.Outcome {
        try await AccessExpiry(storage: storage).run(now: date)
    }
}
