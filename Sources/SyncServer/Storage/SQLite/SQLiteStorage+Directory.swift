import Foundation
import GRDB

extension SQLiteStorage {
    public func teamDirectory(team: String, audit: AuditEvent) async throws -> [DirectoryEntry] {
        let entries = try await pool.read { db in
            // SQLite compares TEXT with BINARY collation: byte order, as the protocol asks.
            let sql = """
                SELECT d.adviser, d.label, d.replica, d.revoked_at IS NOT NULL AS revoked
                FROM devices d JOIN memberships m ON m.adviser = d.adviser AND m.team = ?
                ORDER BY d.replica
                """
            return try Row.fetchAll(db, sql: sql, arguments: [team]).map { row in
                DirectoryEntry(
                    adviser: row["adviser"], label: row["label"], replica: row["replica"], revoked: row["revoked"])
            }
        }
        var event = audit
        event.team = team
        event.detail = "devices=\(entries.count)"
        // Group-committed with the pulls' entries: a directory read is as frequent as a sync.
        try await pullAudit.append(event)
        return entries
    }
}
