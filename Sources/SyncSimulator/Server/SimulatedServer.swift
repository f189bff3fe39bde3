import Foundation
import Logging
import SyncProtocol
import SyncServer

/// The server of a simulation: the shipped ``SyncService`` over a real ``SQLiteStorage`` in a temporary
/// directory (under `/dev/shm` when the machine has it, so the database's fsyncs cost little), called at its
/// message level, as its HTTP routes call it, without sockets.
///
/// Teams, advisers and devices are made through the storage's administration API and enrolment codes, with
/// each device's own replica id. The database chooses a random replica id for the server; the simulation sets
/// a fixed one (``replica``) before serving, so the server's own writes (access that ends) carry the same dots
/// in every run of a seed. A simulated restart is a time without answers (connections reset); the database and the
/// service stay, like the server's disk. ``close()`` removes the database.
final class SimulatedServer {
    /// The server's replica id in every simulation.
    static let replica = try! ReplicaID("sim-server")

    let storage: SQLiteStorage
    let service: SyncService
    let merge: MergeFunction
    private let directory: URL
    private let logger: Logger
    /// The token digest of each device, by device name.
    private var tokens: [String: String] = [:]

    private init(storage: SQLiteStorage, service: SyncService, merge: MergeFunction, directory: URL, logger: Logger) {
        self.storage = storage
        self.service = service
        self.merge = merge
        self.directory = directory
        self.logger = logger
    }

    /// Creates the database, sets the server's replica id and prepares the service.
    static func start(
        seed: UInt64, merge: MergeFunction, forgetsNarrowing: Bool, logger: Logger
    ) async throws -> SimulatedServer {
        let shm = URL(fileURLWithPath: "/dev/shm", isDirectory: true)
        var isDirectory: ObjCBool = false
        let hasShm =
            FileManager.default.fileExists(atPath: shm.path, isDirectory: &isDirectory) && isDirectory.boolValue
        let parent = hasShm ? shm : FileManager.default.temporaryDirectory
        let directory = parent.appendingPathComponent("fieldsync-sim-server-\(seed)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            var quiet = logger
            quiet.logLevel = max(logger.logLevel, .warning)
            let storage = try SQLiteStorage(path: directory.appendingPathComponent("server.db").path, logger: quiet)
            try await storage.migrate()
            try await storage.setServerReplica(replica)
            let rules = SyncServiceRules(merge: merge.merge, forgetsNarrowing: forgetsNarrowing)
            let service = SyncService(
                storage: storage, configuration: ServerConfiguration(), rules: rules, logger: quiet)
            try await service.prepare()
            return SimulatedServer(
                storage: storage, service: service, merge: merge, directory: directory, logger: quiet)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// Removes the database.
    func close() {
        try? FileManager.default.removeItem(at: directory)
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
