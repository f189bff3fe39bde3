import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import SyncProtocol

/// The shared storage backend: PostgreSQL through a postgres-nio `PostgresClient` connection pool.
///
/// Several server processes may use one database. A write that routes records (a push, the server's own writes)
/// takes one advisory transaction lock (`writeLockKey`), so writes are serialized across processes: sequence
/// numbers are handed out and committed in increasing order, and a pull that has seen number *n* has seen every
/// number below it. A push is usually five round trips: `BEGIN`, the lock, one read, one write, `COMMIT`.
///
/// With a ``RecordSealer`` every record body is sealed (AES-256-GCM) before it leaves the process, and a note's
/// subject is stored as its blind index: see PostgresStorage+Sealing.swift for what is and is not encrypted.
public final class PostgresStorage: SyncStorage {
    let client: PostgresClient
    let logger: Logger
    /// Seals record bodies, or `nil` for a database whose records are stored in the clear.
    let sealer: RecordSealer?
    /// The database URL without its password, for messages.
    let databaseName: String

    /// Creates a client for `url` (`postgres://user[:password]@host[:port]/database[?sslmode=disable]`).
    /// Nothing connects until ``run()`` runs and a query needs a connection. With `sealer`, record bodies are
    /// encrypted; ``migrate()`` refuses a database encrypted under another key, or holding records in the clear.
    public init(url: String, maximumConnections: Int = 20, sealer: RecordSealer? = nil, logger: Logger) throws {
        var configuration = try Self.configuration(from: url)
        configuration.options.maximumConnections = maximumConnections
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
        self.sealer = sealer
        self.databaseName = StorageLocation.postgres(url: url).description
    }

    /// Runs the connection pool until cancelled or shut down gracefully.
    public func run() async throws {
        await client.run()
    }

    /// Runs `body` in one transaction, rolling back if it throws and rethrowing its own error.
    func transaction<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                // A failed ROLLBACK leaves the connection broken; the pool notices and discards it.
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    public func serverReplica() async throws -> String {
        let rows = try await client.query("SELECT value FROM server_settings WHERE name = 'replica'", logger: logger)
        for try await value in rows.decode(String.self) { return value }
        throw StorageError.backend(operation: "serverReplica", underlying: "no replica id stored")
    }

    public func createTeam(named name: String, at date: Date) async throws -> Team {
        try Names.validate(name)
        let rows = try await client.query(
            """
            INSERT INTO teams (name, created_at) VALUES (\(name), \(date))
            ON CONFLICT (name) DO NOTHING RETURNING name
            """,
            logger: logger)
        var inserted = false
        for try await _ in rows.decode(String.self) { inserted = true }
        guard inserted else { throw StorageError.teamExists(name) }
        return Team(name: name, createdAt: date)
    }

    public func teams() async throws -> [Team] {
        let rows = try await client.query("SELECT name, created_at FROM teams ORDER BY name", logger: logger)
        var teams: [Team] = []
        for try await (name, createdAt) in rows.decode((String, Date).self) {
            teams.append(Team(name: name, createdAt: createdAt))
        }
        return teams
    }

    public func addAdviser(named adviser: String, toTeam team: String, canPurge: Bool?, at date: Date) async throws {
        try Names.validate(adviser)
        try await transaction { connection in
            guard try await Self.exists(connection, "SELECT 1 FROM teams WHERE name = \(team)", logger: logger) else {
                throw StorageError.teamNotFound(team)
            }
            try await connection.query(
                "INSERT INTO advisers (name, created_at) VALUES (\(adviser), \(date)) ON CONFLICT (name) DO NOTHING",
                logger: logger)
            if let canPurge {
                try await connection.query(
                    "UPDATE advisers SET can_purge = \(canPurge) WHERE name = \(adviser)", logger: logger)
            }
            try await connection.query(
                """
                INSERT INTO memberships (adviser, team, created_at) VALUES (\(adviser), \(team), \(date))
                ON CONFLICT (adviser, team) DO NOTHING
                """,
                logger: logger)
        }
    }

    public func storeEnrolmentCode(digest: String, adviser: String, expiresAt: Date, at date: Date) async throws {
        try await transaction { connection in
            let known = try await Self.exists(
                connection, "SELECT 1 FROM advisers WHERE name = \(adviser)", logger: logger)
            guard known else { throw StorageError.adviserNotFound(adviser) }
            try await connection.query(
                """
                INSERT INTO enrolment_codes (digest, adviser, created_at, expires_at)
                VALUES (\(digest), \(adviser), \(date), \(expiresAt))
                """,
                logger: logger)
        }
    }

    public func redeemEnrolmentCode(digest: String, device: NewDevice, at date: Date) async throws -> DeviceIdentity {
        try await transaction { connection in
            // The conditional UPDATE checks and consumes the code at once; a concurrent redeemer blocks on
            // the row and then finds it used.
            let rows = try await connection.query(
                """
                UPDATE enrolment_codes SET used_at = \(date), device_id = \(device.id)
                WHERE digest = \(digest) AND used_at IS NULL AND expires_at > \(date)
                RETURNING adviser
                """,
                logger: logger)
            var adviser: String?
            for try await name in rows.decode(String.self) { adviser = name }
            guard let adviser else { throw StorageError.invalidEnrolmentCode }
            // Thrown inside the transaction, so the code is not used up. The UNIQUE constraint is the
            // backstop for two enrolments racing with one replica id.
            let taken = try await Self.exists(
                connection,
                """
                SELECT 1 FROM devices WHERE replica = \(device.replica)
                UNION ALL SELECT 1 FROM server_settings WHERE name = 'replica' AND value = \(device.replica)
                """,
                logger: logger)
            if taken { throw StorageError.replicaInUse(device.replica) }
            var earlier: [String] = []
            var replaced: String?
            if let previous = device.previousTokenDigest {
                // Re-enrolment: see the SQLite storage.
                let rows = try await connection.query(
                    """
                    SELECT id, replica, earlier_replicas FROM devices
                    WHERE token_digest = \(previous) AND adviser = \(adviser) FOR UPDATE
                    """,
                    logger: logger)
                var found: (String, String, String)?
                for try await row in rows.decode((String, String, String).self) { found = row }
                guard let (id, replica, earlierText) = found else { throw StorageError.invalidPreviousToken }
                earlier = EarlierReplicas.parse(earlierText) + [replica]
                replaced = id
                try await connection.query(
                    "UPDATE devices SET revoked_at = coalesce(revoked_at, \(date)) WHERE id = \(id)", logger: logger)
            }
            let earlierText = EarlierReplicas.format(earlier)
            try await connection.query(
                """
                INSERT INTO devices (id, replica, adviser, label, token_digest, enrolled_at, earlier_replicas)
                VALUES (\(device.id), \(device.replica), \(adviser), \(device.label), \(device.tokenDigest), \(date),
                        \(earlierText))
                """,
                logger: logger)
            try await Self.insertAudit(
                AuditEvent(
                    at: date, action: .enrol, deviceID: device.id, adviser: adviser, team: nil,
                    detail: replaced.map { "replaces=\($0)" }),
                connection: connection, logger: logger)
            let teams = try await Self.teams(ofAdviser: adviser, connection: connection, logger: logger)
            var canPurge = false
            let purgeRows = try await connection.query(
                "SELECT can_purge FROM advisers WHERE name = \(adviser)", logger: logger)
            for try await value in purgeRows.decode(Bool.self) { canPurge = value }
            return DeviceIdentity(
                deviceID: device.id, replica: device.replica, adviser: adviser, teams: teams, revoked: false,
                canPurge: canPurge, earlierReplicas: earlier)
        }
    }

    public func device(tokenDigest: String) async throws -> DeviceIdentity? {
        // One round trip: every request of a device starts here.
        let rows = try await client.query(
            """
            SELECT d.id, d.replica, d.adviser, d.revoked_at IS NOT NULL, a.can_purge, d.earlier_replicas,
                ARRAY(SELECT m.team FROM memberships m WHERE m.adviser = d.adviser)
            FROM devices d JOIN advisers a ON a.name = d.adviser WHERE d.token_digest = \(tokenDigest)
            """,
            logger: logger)
        var found: (String, String, String, Bool, Bool, String, [String])?
        for try await row in rows.decode((String, String, String, Bool, Bool, String, [String]).self) { found = row }
        guard let (id, replica, adviser, revoked, canPurge, earlier, teams) = found else { return nil }
        return DeviceIdentity(
            deviceID: id, replica: replica, adviser: adviser, teams: Set(teams), revoked: revoked, canPurge: canPurge,
            earlierReplicas: EarlierReplicas.parse(earlier))
    }

    public func devices() async throws -> [DeviceInfo] {
        let rows = try await client.query(
            """
            SELECT d.id, d.adviser, d.label, d.enrolled_at, d.revoked_at IS NOT NULL,
                   (SELECT max(a.at) FROM audit_log a WHERE a.device_id = d.id AND a.action IN ('push', 'pull'))
            FROM devices d ORDER BY d.adviser, d.enrolled_at, d.id
            """,
            logger: logger)
        var devices: [DeviceInfo] = []
        for try await (id, adviser, label, enrolledAt, revoked, lastSeen)
            in rows.decode((String, String, String, Date, Bool, Date?).self)
        {
            devices.append(
                DeviceInfo(
                    id: id, adviser: adviser, label: label, enrolledAt: enrolledAt, lastSeenAt: lastSeen,
                    revoked: revoked))
        }
        return devices
    }

    public func revokeDevice(id: String, at date: Date) async throws {
        try await transaction { connection in
            let rows = try await connection.query(
                "UPDATE devices SET revoked_at = coalesce(revoked_at, \(date)) WHERE id = \(id) RETURNING adviser",
                logger: logger)
            var adviser: String?
            for try await name in rows.decode(String.self) { adviser = name }
            guard let adviser else { throw StorageError.deviceNotFound(id) }
            try await Self.insertAudit(
                AuditEvent(at: date, action: .revoke, deviceID: id, adviser: adviser, team: nil),
                connection: connection, logger: logger)
        }
    }

    public func lastSeq(team: String) async throws -> Int64 {
        let rows = try await client.query("SELECT last_seq FROM teams WHERE name = \(team)", logger: logger)
        for try await seq in rows.decode(Int64.self) { return seq }
        throw StorageError.teamNotFound(team)
    }

    public func auditEvents(limit: Int) async throws -> [AuditEvent] {
        let rows = try await client.query(
            """
            SELECT at, action, device_id, adviser, team, record_ids, outcome, detail
            FROM audit_log ORDER BY id DESC LIMIT \(limit)
            """,
            logger: logger)
        var events: [AuditEvent] = []
        for try await (at, action, deviceID, adviser, team, ids, outcome, detail)
            in rows.decode((Date, String, String?, String?, String?, String, String, String?).self)
        {
            events.append(
                AuditEvent(
                    at: at, action: AuditAction(rawValue: action) ?? .push, deviceID: deviceID, adviser: adviser,
                    team: team, recordIDs: AuditEvent.decodeRecordIDs(ids), outcome: outcome, detail: detail))
        }
        return events
    }

    public func appendAudit(_ event: AuditEvent) async throws {
        try await client.withConnection { connection in
            try await Self.insertAudit(event, connection: connection, logger: logger)
        }
    }

    static func exists(_ connection: PostgresConnection, _ query: PostgresQuery, logger: Logger) async throws -> Bool {
        let rows = try await connection.query(query, logger: logger)
        var found = false
        for try await _ in rows { found = true }
        return found
    }

    static func teams(
        ofAdviser adviser: String, connection: PostgresConnection, logger: Logger
    ) async throws
        -> Set<String>
    {
        let rows = try await connection.query(
            "SELECT team FROM memberships WHERE adviser = \(adviser)", logger: logger)
        var teams: Set<String> = []
        for try await team in rows.decode(String.self) { teams.insert(team) }
        return teams
    }

    static func insertAudit(_ event: AuditEvent, connection: PostgresConnection, logger: Logger) async throws {
        let ids = AuditEvent.encodeRecordIDs(event.recordIDs)
        try await connection.query(
            """
            INSERT INTO audit_log (at, action, device_id, adviser, team, record_ids, outcome, detail)
            VALUES (
                \(event.at), \(event.action.rawValue), \(event.deviceID), \(event.adviser), \(event.team), \(ids),
                \(event.outcome), \(event.detail))
            """,
            logger: logger)
    }
}
