import CFieldVFS
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import SyncProtocol

/// The embedded storage backend: one SQLite file in WAL mode, opened once as a GRDB `DatabasePool`.
///
/// Writes are serialized by SQLite itself, which gives a push batch its own transaction and the team's
/// change sequence its strict order; reads run concurrently with a write. Only one process may use the
/// file (use ``PostgresStorage`` to run several servers).
public final class SQLiteStorage: SyncStorage {
    let pool: DatabasePool
    let logger: Logger
    let pullAudit: SQLiteAuditWriter
    /// The key the database is encrypted with (through the `fieldvfs` VFS), or `nil` for a plain file.
    let encryptionKey: DatabaseKey?

    /// Opens (and creates, with its parent directories) the database at `path`.
    ///
    /// With `encryptionKey`, every page of the database and its WAL is encrypted with AES-256-GCM by the
    /// `fieldvfs` VFS; a new file is created encrypted. Throws ``StorageError/wrongKey(database:keyFile:)``
    /// when the file does not decrypt with that key, and ``StorageError/notPlainDatabase(_:)`` when a file
    /// opened without a key is not a plain database.
    public init(path: String, encryptionKey: DatabaseKey? = nil, logger: Logger) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A new database (and so its WAL and shared-memory files, which SQLite creates with the same mode) is
        // readable by its owner only: even encrypted, it is nobody else's business.
        let created = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if created >= 0 { close(created) }
        try Self.checkHeader(path: path, key: encryptionKey)
        var configuration = Self.configuration(encrypted: encryptionKey != nil)
        configuration.label = "fieldsync-server"
        do {
            self.pool = try DatabasePool(
                path: encryptionKey?.uri(forDatabaseAt: path) ?? path, configuration: configuration)
            // Reads the schema, so a wrong key fails here rather than on the first request.
            _ = try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
        } catch let error as DatabaseError {
            throw Self.openError(error, path: path, key: encryptionKey)
        }
        self.encryptionKey = encryptionKey
        self.logger = logger
        self.pullAudit = SQLiteAuditWriter(pool: pool)
    }

    deinit {
        // Connections first: the VFS slot must outlive every connection that reads through it.
        try? pool.close()
    }

    /// The settings of every connection to a server database, plain or encrypted.
    static func configuration(encrypted: Bool) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            if encrypted {
                // Before any other statement: reserves the per-page nonce and tag, temp_store=MEMORY, no mmap.
                let code = fieldvfs_prepare_connection(db.sqliteConnection)
                guard code == 0 else {
                    throw StorageError.backend(
                        operation: "open", underlying: "cannot prepare an encrypted connection (SQLite code \(code))")
                }
            }
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Durable at commit: a push the server acknowledged must survive a power cut.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    /// Refuses a database file that cannot be opened with `key` (or without a key) before SQLite opens it.
    ///
    /// This matters beyond the message: a connection that cannot decrypt the WAL sees no valid frame in it, and
    /// SQLite deletes a WAL it believes checkpointed when that connection closes, losing the commits in it. An
    /// encrypted file starts with its database id in the clear, a plain one with SQLite's magic string, so a
    /// missing key, a key file of another database and a key for a plain file are all caught here. A new (absent
    /// or empty) file passes.
    static func checkHeader(path: String, key: DatabaseKey?) throws(StorageError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 16), data.count == 16 else { return }
        let head = Array(data)
        let plain = head == Array("SQLite format 3\0".utf8)
        switch key {
        case nil where !plain: throw .notPlainDatabase(path)
        case _? where plain: throw .notEncrypted(path)
        case let key? where head != key.databaseID: throw .wrongKey(database: path, keyFile: key.keyFile)
        default: return
        }
    }

    /// The one-line error for a database that does not open: wrong key, or encrypted without a key.
    static func openError(_ error: DatabaseError, path: String, key: DatabaseKey?) -> StorageError {
        let undecryptable =
            error.resultCode == .SQLITE_NOTADB || error.extendedResultCode == .SQLITE_IOERR_DATA
            || error.resultCode == .SQLITE_CORRUPT
        if undecryptable, let key { return .wrongKey(database: path, keyFile: key.keyFile) }
        if error.resultCode == .SQLITE_NOTADB { return .notPlainDatabase(path) }
        return .backend(operation: "open '\(path)'", underlying: "\(error.resultCode): \(error.message ?? "")")
    }

    /// Nothing runs in the background; waits for shutdown so a `ServiceGroup` keeps running.
    public func run() async throws {
        try? await gracefulShutdown()
    }

    public func migrate() async throws {
        let migrator = Self.migrator
        let unknown = try await pool.read { db in
            try migrator.appliedIdentifiers(db).subtracting(migrator.migrations)
        }
        if !unknown.isEmpty { throw StorageError.unknownMigrations(unknown.sorted()) }
        // Runs once at start-up, before the server accepts requests, so blocking here is acceptable.
        try migrator.migrate(pool)
        logger.debug("sqlite schema migrated", metadata: ["migrations": "\(migrator.migrations)"])
    }

    public func serverReplica() async throws -> String {
        try await pool.read { db in
            guard let value = try String.fetchOne(db, sql: "SELECT value FROM server_settings WHERE name = 'replica'")
            else { throw StorageError.backend(operation: "serverReplica", underlying: "no replica id stored") }
            return value
        }
    }

    public func createTeam(named name: String, at date: Date) async throws -> Team {
        try Names.validate(name)
        return try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM teams WHERE name = ?", arguments: [name]) != nil {
                throw StorageError.teamExists(name)
            }
            try db.execute(
                sql: "INSERT INTO teams (name, created_at, last_seq) VALUES (?, ?, 0)",
                arguments: [name, date.timeIntervalSince1970]
            )
            return Team(name: name, createdAt: date)
        }
    }

    public func teams() async throws -> [Team] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, created_at FROM teams ORDER BY name").map { row in
                Team(name: row["name"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
            }
        }
    }

    public func addAdviser(named adviser: String, toTeam team: String, canPurge: Bool?, at date: Date) async throws {
        try Names.validate(adviser)
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM teams WHERE name = ?", arguments: [team]) != nil else {
                throw StorageError.teamNotFound(team)
            }
            let seconds = date.timeIntervalSince1970
            try db.execute(
                sql: "INSERT INTO advisers (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                arguments: [adviser, seconds]
            )
            if let canPurge {
                try db.execute(
                    sql: "UPDATE advisers SET can_purge = ? WHERE name = ?", arguments: [canPurge, adviser])
            }
            try db.execute(
                sql: """
                    INSERT INTO memberships (adviser, team, created_at) VALUES (?, ?, ?)
                    ON CONFLICT (adviser, team) DO NOTHING
                    """,
                arguments: [adviser, team, seconds]
            )
        }
    }

    public func storeEnrolmentCode(digest: String, adviser: String, expiresAt: Date, at date: Date) async throws {
        try await pool.write { db in
            let known = try Bool.fetchOne(db, sql: "SELECT 1 FROM advisers WHERE name = ?", arguments: [adviser])
            guard known != nil else { throw StorageError.adviserNotFound(adviser) }
            try db.execute(
                sql: "INSERT INTO enrolment_codes (digest, adviser, created_at, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [digest, adviser, date.timeIntervalSince1970, expiresAt.timeIntervalSince1970]
            )
        }
    }

    public func redeemEnrolmentCode(digest: String, device: NewDevice, at date: Date) async throws -> DeviceIdentity {
        try await pool.write { db in
            let seconds = date.timeIntervalSince1970
            // One conditional UPDATE both checks and consumes the code, so two devices racing for the
            // same code cannot both win.
            try db.execute(
                sql: """
                    UPDATE enrolment_codes SET used_at = ?, device_id = ?
                    WHERE digest = ? AND used_at IS NULL AND expires_at > ?
                    """,
                arguments: [seconds, device.id, digest, seconds]
            )
            guard db.changesCount == 1,
                let adviser = try String.fetchOne(
                    db, sql: "SELECT adviser FROM enrolment_codes WHERE digest = ?", arguments: [digest])
            else { throw StorageError.invalidEnrolmentCode }
            // Thrown inside the transaction, so the code is not used up.
            let taken = try Bool.fetchOne(
                db,
                sql: """
                    SELECT 1 FROM devices WHERE replica = ?
                    UNION ALL SELECT 1 FROM server_settings WHERE name = 'replica' AND value = ?
                    """,
                arguments: [device.replica, device.replica])
            if taken != nil { throw StorageError.replicaInUse(device.replica) }
            var earlier: [String] = []
            var replaced: String?
            if let previous = device.previousTokenDigest {
                // Re-enrolment: the previous device must be the same adviser's; it is revoked, and its replica
                // ids become the new device's earlier ones.
                guard
                    let row = try Row.fetchOne(
                        db,
                        sql: "SELECT id, replica, earlier_replicas FROM devices WHERE token_digest = ? AND adviser = ?",
                        arguments: [previous, adviser])
                else { throw StorageError.invalidPreviousToken }
                earlier = EarlierReplicas.parse(row["earlier_replicas"]) + [row["replica"] as String]
                replaced = row["id"]
                try db.execute(
                    sql: "UPDATE devices SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                    arguments: [seconds, replaced])
            }
            try db.execute(
                sql: """
                    INSERT INTO devices (id, replica, adviser, label, token_digest, enrolled_at, earlier_replicas)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    device.id, device.replica, adviser, device.label, device.tokenDigest, seconds,
                    EarlierReplicas.format(earlier),
                ]
            )
            try Self.insertAudit(
                AuditEvent(
                    at: date, action: .enrol, deviceID: device.id, adviser: adviser, team: nil,
                    detail: replaced.map { "replaces=\($0)" }),
                db: db)
            let teams = try String.fetchAll(
                db, sql: "SELECT team FROM memberships WHERE adviser = ?", arguments: [adviser])
            let canPurge =
                try Bool.fetchOne(
                    db, sql: "SELECT can_purge FROM advisers WHERE name = ?", arguments: [adviser]) ?? false
            return DeviceIdentity(
                deviceID: device.id, replica: device.replica, adviser: adviser, teams: Set(teams), revoked: false,
                canPurge: canPurge, earlierReplicas: earlier)
        }
    }

    public func device(tokenDigest: String) async throws -> DeviceIdentity? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT d.id, d.replica, d.adviser, d.revoked_at, a.can_purge, d.earlier_replicas
                        FROM devices d JOIN advisers a ON a.name = d.adviser WHERE d.token_digest = ?
                        """,
                    arguments: [tokenDigest])
            else { return nil }
            let adviser: String = row["adviser"]
            let teams = try String.fetchAll(
                db, sql: "SELECT team FROM memberships WHERE adviser = ?", arguments: [adviser])
            let revokedAt: Double? = row["revoked_at"]
            return DeviceIdentity(
                deviceID: row["id"], replica: row["replica"], adviser: adviser, teams: Set(teams),
                revoked: revokedAt != nil, canPurge: row["can_purge"],
                earlierReplicas: EarlierReplicas.parse(row["earlier_replicas"]))
        }
    }

    public func devices() async throws -> [DeviceInfo] {
        try await pool.read { db in
            let sql = """
                SELECT d.id, d.adviser, d.label, d.enrolled_at, d.revoked_at,
                       (SELECT max(a.at) FROM audit_log a
                        WHERE a.device_id = d.id AND a.action IN ('push', 'pull')) AS last_seen
                FROM devices d ORDER BY d.adviser, d.enrolled_at, d.id
                """
            return try Row.fetchAll(db, sql: sql).map { row in
                let lastSeen: Double? = row["last_seen"]
                let revokedAt: Double? = row["revoked_at"]
                return DeviceInfo(
                    id: row["id"], adviser: row["adviser"], label: row["label"],
                    enrolledAt: Date(timeIntervalSince1970: row["enrolled_at"]),
                    lastSeenAt: lastSeen.map(Date.init(timeIntervalSince1970:)), revoked: revokedAt != nil)
            }
        }
    }

    public func revokeDevice(id: String, at date: Date) async throws {
        try await pool.write { db in
            guard
                let adviser = try String.fetchOne(db, sql: "SELECT adviser FROM devices WHERE id = ?", arguments: [id])
            else { throw StorageError.deviceNotFound(id) }
            try db.execute(
                sql: "UPDATE devices SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                arguments: [date.timeIntervalSince1970, id]
            )
            try Self.insertAudit(
                AuditEvent(at: date, action: .revoke, deviceID: id, adviser: adviser, team: nil), db: db)
        }
    }

    public func lastSeq(team: String) async throws -> Int64 {
        try await pool.read { db in
            guard let seq = try Int64.fetchOne(db, sql: "SELECT last_seq FROM teams WHERE name = ?", arguments: [team])
            else { throw StorageError.teamNotFound(team) }
            return seq
        }
    }

    public func auditEvents(limit: Int) async throws -> [AuditEvent] {
        try await pool.read { db in
            let sql = """
                SELECT at, action, device_id, adviser, team, record_ids, outcome, detail
                FROM audit_log ORDER BY id DESC LIMIT ?
                """
            return try Row.fetchAll(db, sql: sql, arguments: [limit]).map { row in
                let ids: String = row["record_ids"]
                return AuditEvent(
                    at: Date(timeIntervalSince1970: row["at"]),
                    action: AuditAction(rawValue: row["action"]) ?? .push,
                    deviceID: row["device_id"], adviser: row["adviser"], team: row["team"],
                    recordIDs: AuditEvent.decodeRecordIDs(ids), outcome: row["outcome"], detail: row["detail"])
            }
        }
    }

    public func appendAudit(_ event: AuditEvent) async throws {
        try await pool.write { db in try Self.insertAudit(event, db: db) }
    }

    static func insertAudit(_ event: AuditEvent, db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO audit_log (at, action, device_id, adviser, team, record_ids, outcome, detail)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                event.at.timeIntervalSince1970, event.action.rawValue, event.deviceID, event.adviser, event.team,
                AuditEvent.encodeRecordIDs(event.recordIDs), event.outcome, event.detail,
            ]
        )
    }
}
