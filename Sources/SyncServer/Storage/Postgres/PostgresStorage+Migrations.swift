import Foundation
import PostgresNIO
import SyncProtocol

extension PostgresStorage {
    /// The schema's named migrations, applied in order. Never edit one that has shipped: add a new one.
    static let migrations: [(name: String, statements: [PostgresQuery])] = [
        (
            "2026-11-23-1-initial",
            [
                """
                CREATE TABLE teams (
                    name TEXT PRIMARY KEY,
                    created_at TIMESTAMPTZ NOT NULL,
                    last_seq BIGINT NOT NULL DEFAULT 0
                )
                """,
                """
                CREATE TABLE advisers (
                    name TEXT PRIMARY KEY,
                    created_at TIMESTAMPTZ NOT NULL,
                    can_purge BOOLEAN NOT NULL DEFAULT FALSE
                )
                """,
                """
                CREATE TABLE memberships (
                    adviser TEXT NOT NULL REFERENCES advisers(name),
                    team TEXT NOT NULL REFERENCES teams(name),
                    created_at TIMESTAMPTZ NOT NULL,
                    PRIMARY KEY (adviser, team)
                )
                """,
                "CREATE INDEX memberships_by_team ON memberships(team)",
                """
                CREATE TABLE devices (
                    id TEXT PRIMARY KEY,
                    adviser TEXT NOT NULL REFERENCES advisers(name),
                    replica TEXT NOT NULL UNIQUE,
                    label TEXT NOT NULL,
                    token_digest TEXT NOT NULL UNIQUE,
                    enrolled_at TIMESTAMPTZ NOT NULL,
                    revoked_at TIMESTAMPTZ
                )
                """,
                """
                CREATE TABLE enrolment_codes (
                    digest TEXT PRIMARY KEY,
                    adviser TEXT NOT NULL REFERENCES advisers(name),
                    created_at TIMESTAMPTZ NOT NULL,
                    expires_at TIMESTAMPTZ NOT NULL,
                    used_at TIMESTAMPTZ,
                    device_id TEXT
                )
                """,
                """
                CREATE TABLE records (
                    collection TEXT NOT NULL,
                    id TEXT NOT NULL,
                    team TEXT NOT NULL REFERENCES teams(name),
                    body TEXT NOT NULL,
                    seq BIGINT NOT NULL,
                    PRIMARY KEY (collection, id)
                )
                """,
                "CREATE UNIQUE INDEX records_by_seq ON records(team, seq)",
                """
                CREATE TABLE audit_log (
                    id BIGSERIAL PRIMARY KEY,
                    at TIMESTAMPTZ NOT NULL,
                    action TEXT NOT NULL,
                    device_id TEXT,
                    adviser TEXT,
                    team TEXT,
                    record_ids TEXT NOT NULL
                )
                """,
                "CREATE INDEX audit_by_device ON audit_log(device_id, at)",
                "CREATE TABLE server_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
                // The server's own replica id, chosen once per database so every process serving it agrees.
                "INSERT INTO server_settings (name, value) VALUES ('replica', \(ReplicaID.random().rawValue))",
            ]
        ),
        (
            "2026-11-23-2-device-positions",
            [
                """
                CREATE TABLE device_positions (
                    device_id TEXT NOT NULL REFERENCES devices(id),
                    team TEXT NOT NULL REFERENCES teams(name),
                    seq BIGINT NOT NULL,
                    PRIMARY KEY (device_id, team)
                )
                """
            ]
        ),
        (
            "2026-11-23-3-audit-outcome",
            [
                "ALTER TABLE audit_log ADD COLUMN outcome TEXT NOT NULL DEFAULT 'ok'",
                "ALTER TABLE audit_log ADD COLUMN detail TEXT",
            ]
        ),
        (
            // Protocol version 2: see the SQLite migration of the same name.
            scopesMigration,
            [
                """
                CREATE TABLE feed (
                    team TEXT NOT NULL REFERENCES teams(name),
                    collection TEXT NOT NULL,
                    id TEXT NOT NULL,
                    seq BIGINT NOT NULL,
                    removed BOOLEAN NOT NULL DEFAULT FALSE,
                    PRIMARY KEY (team, collection, id)
                )
                """,
                "CREATE UNIQUE INDEX feed_by_seq ON feed(team, seq)",
                "CREATE INDEX feed_by_record ON feed(collection, id)",
                "INSERT INTO feed (team, collection, id, seq, removed) SELECT team, collection, id, seq, FALSE FROM records",
                "DROP INDEX records_by_seq",
                "ALTER TABLE records ADD COLUMN scope TEXT NOT NULL DEFAULT ''",
                "UPDATE records SET scope = team",
                "ALTER TABLE records ADD COLUMN subject TEXT",
                "ALTER TABLE records ADD COLUMN min_version BIGINT NOT NULL DEFAULT 1",
                "ALTER TABLE records ADD COLUMN access_ends TEXT",
                "CREATE INDEX records_by_subject ON records(subject) WHERE subject IS NOT NULL",
                "CREATE INDEX records_by_access_end ON records(access_ends) WHERE access_ends IS NOT NULL",
                """
                CREATE TABLE partners (
                    team TEXT NOT NULL REFERENCES teams(name),
                    partner TEXT NOT NULL REFERENCES teams(name),
                    created_at TIMESTAMPTZ NOT NULL,
                    PRIMARY KEY (team, partner)
                )
                """,
            ]
        ),
        (
            // Re-enrolment: see the SQLite migration of the same name.
            "2026-11-30-2-earlier-replicas",
            ["ALTER TABLE devices ADD COLUMN earlier_replicas TEXT NOT NULL DEFAULT ''"]
        ),
        // Retention rules and the time a course closed: see PostgresStorage+Retention.swift.
        (retentionMigration, retentionStatements),
        (
            // Per-record encryption (PostgresStorage+Sealing.swift): a sealed record keeps its envelope here and
            // an empty `body`. A database whose records are sealed gets the CHECK constraint `records_sealed`.
            "2026-11-30-4-sealed-records",
            ["ALTER TABLE records ADD COLUMN sealed BYTEA"]
        ),
    ]

    static let scopesMigration = "2026-11-30-1-scopes"

    /// An arbitrary constant: the advisory lock that keeps two starting servers from migrating at once.
    static let migrationLockKey: Int64 = 0x6669_656c_6473_796e

    /// Applies the missing migrations, then checks the configured key against the database's
    /// (`checkRecordKey(_:)`).
    public func migrate() async throws {
        try await transaction { connection in
            try await migrateSchema(connection)
            try await checkRecordKey(connection)
        }
    }

    /// Applies the missing migrations inside the caller's transaction, holding the migration lock until it ends.
    func migrateSchema(_ connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: logger)
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)
            """,
            logger: logger)
        let rows = try await connection.query("SELECT name FROM schema_migrations", logger: logger)
        var applied: Set<String> = []
        for try await name in rows.decode(String.self) { applied.insert(name) }
        let unknown = applied.subtracting(Self.migrations.map(\.name))
        if !unknown.isEmpty { throw StorageError.unknownMigrations(unknown.sorted()) }
        for migration in Self.migrations where !applied.contains(migration.name) {
            for statement in migration.statements {
                try await connection.query(statement, logger: logger)
            }
            if migration.name == Self.scopesMigration {
                try await backfillNoteSubjects(connection)
            }
            if migration.name == Self.retentionMigration {
                try await backfillClosedCourses(connection)
            }
            try await connection.query(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (\(migration.name), \(Date()))",
                logger: logger)
            logger.info("applied postgres migration", metadata: ["migration": "\(migration.name)"])
        }
    }

    /// Notes written before protocol version 2 name their subject only in their body: copy it to its column.
    private func backfillNoteSubjects(_ connection: PostgresConnection) async throws {
        let rows = try await connection.query("SELECT id, body FROM records WHERE collection = 'notes'", logger: logger)
        var ids: [String] = []
        var subjects: [String] = []
        for try await (id, body) in rows.decode((String, String).self) {
            guard let subject = (try? WireCoding.decode(Record.self, from: Data(body.utf8)))?.subjectID else {
                continue
            }
            ids.append(id)
            subjects.append(subject)
        }
        guard !ids.isEmpty else { return }
        try await connection.query(
            """
            UPDATE records SET subject = u.s FROM unnest(\(ids)::text[], \(subjects)::text[]) AS u(i, s)
            WHERE records.collection = 'notes' AND records.id = u.i
            """,
            logger: logger)
    }

    /// Parses a `postgres://` or `postgresql://` URL into a client configuration.
    static func configuration(from url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else { throw StorageError.invalidDatabaseURL(url, reason: "expected postgres://user@host:port/database") }
        guard let host = components.host, !host.isEmpty else {
            throw StorageError.invalidDatabaseURL(url, reason: "no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StorageError.invalidDatabaseURL(url, reason: "no user")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        let sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-full", "verify-ca": tls = .require(.makeClientConfiguration())
        default: throw StorageError.invalidDatabaseURL(url, reason: "unknown sslmode '\(sslMode)'")
        }
        return PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database.isEmpty ? nil : database, tls: tls)
    }
}
