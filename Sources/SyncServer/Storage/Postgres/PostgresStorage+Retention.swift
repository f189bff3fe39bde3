import Foundation
import PostgresNIO
import SyncProtocol

extension PostgresStorage {
    /// The migration that lets retention rules count from a course's closing: see the SQLite migration of the
    /// same name (``SQLiteStorage/migrateRetention(_:)``).
    static let retentionMigration = "2026-11-30-3-retention"

    static let retentionStatements: [PostgresQuery] = [
        "ALTER TABLE records ADD COLUMN closed_at TIMESTAMPTZ",
        """
        CREATE TABLE retention_rules (
            team TEXT PRIMARY KEY REFERENCES teams(name),
            closed_after TEXT NOT NULL,
            saved_at TIMESTAMPTZ NOT NULL
        )
        """,
        "CREATE INDEX records_by_closing ON records(closed_at) WHERE closed_at IS NOT NULL",
    ]

    /// Subjects already closed when the migration runs are stamped with its time: their closing time was never
    /// kept. (Run by ``migrate()`` inside the migration's transaction.)
    func backfillClosedCourses(_ connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            "SELECT id, body FROM records WHERE collection = 'subjects'", logger: logger)
        var ids: [String] = []
        for try await (id, body) in rows.decode((String, String).self) {
            guard let record = try? WireCoding.decode(Record.self, from: Data(body.utf8)), record.hasClosedCourse
            else { continue }
            ids.append(id)
        }
        guard !ids.isEmpty else { return }
        try await connection.query(
            "UPDATE records SET closed_at = \(Date()) WHERE collection = 'subjects' AND id = ANY(\(ids)::text[])",
            logger: logger)
    }

    public func closedSubjects() async throws -> [ClosedSubject] {
        let rows = try await client.query(
            """
            SELECT id, scope, closed_at FROM records
            WHERE collection = 'subjects' AND closed_at IS NOT NULL ORDER BY id
            """,
            logger: logger)
        var result: [ClosedSubject] = []
        for try await (id, scope, closedAt) in rows.decode((String, String, Date).self) {
            result.append(ClosedSubject(id: id, readers: RecordRouting.scope(column: scope), closedAt: closedAt))
        }
        return result
    }

    public func retentionRules() async throws -> [RetentionRule] {
        let rows = try await client.query(
            "SELECT team, closed_after, saved_at FROM retention_rules ORDER BY team", logger: logger)
        var result: [RetentionRule] = []
        for try await (team, text, savedAt) in rows.decode((String, String, Date).self) {
            guard let period = try? RetentionPeriod(parsing: text) else {
                throw RetentionError.invalidStoredRule(team: team, period: text)
            }
            result.append(RetentionRule(team: team, closedAfter: period, savedAt: savedAt))
        }
        return result
    }

    public func setRetentionRule(team: String, closedAfter: RetentionPeriod?, at date: Date) async throws {
        try await transaction { connection in
            let rows = try await connection.query("SELECT 1 FROM teams WHERE name = \(team)", logger: logger)
            var found = false
            for try await _ in rows { found = true }
            guard found else { throw StorageError.teamNotFound(team) }
            if let closedAfter {
                try await connection.query(
                    """
                    INSERT INTO retention_rules (team, closed_after, saved_at)
                    VALUES (\(team), \(closedAfter.description), \(date))
                    ON CONFLICT (team) DO UPDATE SET closed_after = EXCLUDED.closed_after, saved_at = EXCLUDED.saved_at
                    """,
                    logger: logger)
            } else {
                let deleted = try await connection.query(
                    "DELETE FROM retention_rules WHERE team = \(team) RETURNING team", logger: logger)
                var count = 0
                for try await _ in deleted { count += 1 }
                guard count > 0 else { return }
            }
            try await Self.insertAudit(
                AuditEvent(
                    at: date, action: .retention, deviceID: nil, adviser: nil, team: team,
                    detail: closedAfter.map { "rule saved: closed-after \($0)" } ?? "rule removed"),
                connection: connection, logger: logger)
        }
    }
}
