import Foundation
import GRDB
import SyncProtocol

extension SQLiteStorage {
    /// The migration that lets retention rules count from a course's closing (``Retention``).
    static let retentionMigration = "2026-11-30-3-retention"

    /// `records.closed_at`: when the server first stored a subject with a closed course (kept while it stays
    /// closed, cleared when it reopens, set again when it closes again); `retention_rules`: the teams' saved rules.
    /// Subjects already closed are stamped with the time of the migration: their closing time was never kept.
    static func migrateRetention(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE records ADD COLUMN closed_at REAL;
                CREATE TABLE retention_rules (
                    team TEXT PRIMARY KEY NOT NULL REFERENCES teams(name),
                    closed_after TEXT NOT NULL,
                    saved_at REAL NOT NULL
                );
                """)
        let now = Date().timeIntervalSince1970
        for row in try Row.fetchAll(db, sql: "SELECT id, body FROM records WHERE collection = 'subjects'") {
            let body: String = row["body"]
            guard let record = try? WireCoding.decode(Record.self, from: Data(body.utf8)), record.hasClosedCourse
            else { continue }
            try db.execute(
                sql: "UPDATE records SET closed_at = ? WHERE collection = 'subjects' AND id = ?",
                arguments: [now, row["id"] as String])
        }
        try db.execute(sql: "CREATE INDEX records_by_closing ON records(closed_at) WHERE closed_at IS NOT NULL")
    }

    public func closedSubjects() async throws -> [ClosedSubject] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, scope, closed_at FROM records
                    WHERE collection = 'subjects' AND closed_at IS NOT NULL ORDER BY id
                    """
            ).map {
                ClosedSubject(
                    id: $0["id"], readers: RecordRouting.scope(column: $0["scope"]),
                    closedAt: Date(timeIntervalSince1970: $0["closed_at"]))
            }
        }
    }

    public func retentionRules() async throws -> [RetentionRule] {
        let rows = try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT team, closed_after, saved_at FROM retention_rules ORDER BY team")
        }
        return try rows.map { row throws(RetentionError) in
            let (team, text): (String, String) = (row["team"], row["closed_after"])
            guard let period = try? RetentionPeriod(parsing: text) else {
                throw .invalidStoredRule(team: team, period: text)
            }
            return RetentionRule(team: team, closedAfter: period, savedAt: Date(timeIntervalSince1970: row["saved_at"]))
        }
    }

    public func setRetentionRule(team: String, closedAfter: RetentionPeriod?, at date: Date) async throws {
        try await pool.write { db in
            guard try Self.lastSeq(db, team: team) != nil else { throw StorageError.teamNotFound(team) }
            if let closedAfter {
                try db.execute(
                    sql: """
                        INSERT INTO retention_rules (team, closed_after, saved_at) VALUES (?, ?, ?)
                        ON CONFLICT (team) DO UPDATE SET closed_after = excluded.closed_after,
                            saved_at = excluded.saved_at
                        """,
                    arguments: [team, closedAfter.description, date.timeIntervalSince1970])
            } else {
                try db.execute(sql: "DELETE FROM retention_rules WHERE team = ?", arguments: [team])
                guard db.changesCount > 0 else { return }
            }
            try Self.insertAudit(
                AuditEvent(
                    at: date, action: .retention, deviceID: nil, adviser: nil, team: team,
                    detail: closedAfter.map { "rule saved: closed-after \($0)" } ?? "rule removed"),
                db: db)
        }
    }
}
