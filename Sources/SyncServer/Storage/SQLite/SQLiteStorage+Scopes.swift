import Foundation
import GRDB
import SyncProtocol

extension SQLiteStorage {
    public func addPartner(team: String, with partner: String, at date: Date) async throws {
        try await pool.write { db in
            for name in [team, partner] where try Self.lastSeq(db, team: name) == nil {
                throw StorageError.teamNotFound(name)
            }
            for (one, other) in [(team, partner), (partner, team)] {
                try db.execute(
                    sql: "INSERT INTO partners (team, partner, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    arguments: [one, other, date.timeIntervalSince1970])
            }
            try Self.insertAudit(
                AuditEvent(
                    at: date, action: .partner, deviceID: nil, adviser: nil, team: team, detail: "with=\(partner)"),
                db: db)
        }
    }

    public func removeAdviser(named adviser: String, fromTeam team: String, at date: Date) async throws {
        try await pool.write { db in
            guard try Self.lastSeq(db, team: team) != nil else { throw StorageError.teamNotFound(team) }
            try db.execute(
                sql: "DELETE FROM memberships WHERE adviser = ? AND team = ?", arguments: [adviser, team])
            guard db.changesCount > 0 else { return }
            try Self.insertAudit(
                AuditEvent(at: date, action: .leave, deviceID: nil, adviser: adviser, team: team), db: db)
        }
    }

    public func partners(of team: String) async throws -> Set<String> {
        try await pool.read { db in
            Set(try String.fetchAll(db, sql: "SELECT partner FROM partners WHERE team = ?", arguments: [team]))
        }
    }

    public func subjectsWithAccessEnding(onOrBefore day: String) async throws -> [RecordKey] {
        try await pool.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT id FROM records WHERE collection = 'subjects' AND access_ends IS NOT NULL
                    AND access_ends <= ? ORDER BY id
                    """,
                arguments: [day]
            ).map { RecordKey(collection: ScopeFields.subjects, id: $0) }
        }
    }

    public func records(
        inCollection collection: String
    ) async throws -> [(key: RecordKey, body: Data, scope: Set<String>)] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, body, scope FROM records WHERE collection = ? ORDER BY id", arguments: [collection]
            ).map {
                (
                    RecordKey(collection: collection, id: $0["id"]), Data(($0["body"] as String).utf8),
                    RecordRouting.scope(column: $0["scope"])
                )
            }
        }
    }

    public func notes(aboutSubject id: String) async throws -> [RecordKey] {
        try await pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM records WHERE collection = 'notes' AND subject = ? ORDER BY id",
                arguments: [id]
            ).map { RecordKey(collection: ScopeFields.notes, id: $0) }
        }
    }

    public func auditEvents(touching recordIDs: Set<String>) async throws -> [AuditEvent] {
        guard !recordIDs.isEmpty else { return [] }
        return try await pool.read { db in
            // The ids are kept as a JSON array in one column: filter with SQLite's JSON functions, oldest first.
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT a.id, a.at, a.action, a.device_id, a.adviser, a.team, a.record_ids, a.outcome,
                        a.detail
                    FROM audit_log a, json_each(a.record_ids) j
                    WHERE j.value IN (SELECT value FROM json_each(?)) ORDER BY a.id
                    """,
                arguments: [AuditEvent.encodeRecordIDs(recordIDs.sorted())])
            return rows.map { row in
                AuditEvent(
                    at: Date(timeIntervalSince1970: row["at"]),
                    action: AuditAction(rawValue: row["action"]) ?? .push,
                    deviceID: row["device_id"], adviser: row["adviser"], team: row["team"],
                    recordIDs: AuditEvent.decodeRecordIDs(row["record_ids"]), outcome: row["outcome"],
                    detail: row["detail"])
            }
        }
    }
}
