import Foundation
import PostgresNIO

extension PostgresStorage {
    public func teamDirectory(team: String, audit: AuditEvent) async throws -> [DirectoryEntry] {
        try await client.withConnection { connection in
            // COLLATE "C": byte order, whatever the database's locale, as the protocol asks.
            let rows = try await connection.query(
                """
                SELECT d.adviser, d.label, d.replica, d.revoked_at IS NOT NULL
                FROM devices d JOIN memberships m ON m.adviser = d.adviser AND m.team = \(team)
                ORDER BY d.replica COLLATE "C"
                """,
                logger: logger)
            var entries: [DirectoryEntry] = []
            for try await (adviser, label, replica, revoked) in rows.decode((String, String, String, Bool).self) {
                entries.append(DirectoryEntry(adviser: adviser, label: label, replica: replica, revoked: revoked))
            }
            var event = audit
            event.team = team
            event.detail = "devices=\(entries.count)"
            try await Self.insertAudit(event, connection: connection, logger: logger)
            return entries
        }
    }
}
