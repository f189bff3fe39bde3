import Foundation
import PostgresNIO
import SyncProtocol

extension PostgresStorage {
    public func addPartner(team: String, with partner: String, at date: Date) async throws {
        try await transaction { connection in
            let rows = try await connection.query(
                "SELECT name FROM teams WHERE name = ANY(\([team, partner])::text[])", logger: logger)
            var found: Set<String> = []
            for try await name in rows.decode(String.self) { found.insert(name) }
            for name in [team, partner] where !found.contains(name) { throw StorageError.teamNotFound(name) }
            try await connection.query(
                """
                INSERT INTO partners (team, partner, created_at)
                VALUES (\(team), \(partner), \(date)), (\(partner), \(team), \(date)) ON CONFLICT DO NOTHING
                """,
                logger: logger)
            try await Self.insertAudit(
                AuditEvent(
                    at: date, action: .partner, deviceID: nil, adviser: nil, team: team, detail: "with=\(partner)"),
                connection: connection, logger: logger)
        }
    }

    public func removeAdviser(named adviser: String, fromTeam team: String, at date: Date) async throws {
        try await transaction { connection in
            let rows = try await connection.query("SELECT 1 FROM teams WHERE name = \(team)", logger: logger)
            var found = false
            for try await _ in rows { found = true }
            guard found else { throw StorageError.teamNotFound(team) }
            let deleted = try await connection.query(
                "DELETE FROM memberships WHERE adviser = \(adviser) AND team = \(team) RETURNING adviser",
                logger: logger)
            var count = 0
            for try await _ in deleted { count += 1 }
            guard count > 0 else { return }
            try await Self.insertAudit(
                AuditEvent(at: date, action: .leave, deviceID: nil, adviser: adviser, team: team),
                connection: connection, logger: logger)
        }
    }

    public func partners(of team: String) async throws -> Set<String> {
        let rows = try await client.query("SELECT partner FROM partners WHERE team = \(team)", logger: logger)
        var result: Set<String> = []
        for try await name in rows.decode(String.self) { result.insert(name) }
        return result
    }

    public func subjectsWithAccessEnding(onOrBefore day: String) async throws -> [RecordKey] {
        let rows = try await client.query(
            """
            SELECT id FROM records WHERE collection = 'subjects' AND access_ends IS NOT NULL AND access_ends <= \(day)
            ORDER BY id
            """,
            logger: logger)
        var result: [RecordKey] = []
        for try await id in rows.decode(String.self) {
            result.append(RecordKey(collection: ScopeFields.subjects, id: id))
        }
        return result
    }

    public func records(
        inCollection collection: String
    ) async throws -> [(key: RecordKey, body: Data, scope: Set<String>)] {
        let rows = try await client.query(
            "SELECT id, team, body, sealed, scope FROM records WHERE collection = \(collection) ORDER BY id",
            logger: logger)
        var result: [(key: RecordKey, body: Data, scope: Set<String>)] = []
        for try await (id, home, text, sealed, scope) in rows.decode((String, String, String, ByteBuffer?, String).self)
        {
            let key = RecordKey(collection: collection, id: id)
            let body = try openedBody(text: text, sealed: sealed, home: home, key: key)
            result.append((key, body, RecordRouting.scope(column: scope)))
        }
        return result
    }

    public func notes(aboutSubject id: String) async throws -> [RecordKey] {
        let rows = try await client.query(
            "SELECT id FROM records WHERE collection = 'notes' AND subject = \(subjectColumn(id)) ORDER BY id",
            logger: logger)
        var result: [RecordKey] = []
        for try await note in rows.decode(String.self) {
            result.append(RecordKey(collection: ScopeFields.notes, id: note))
        }
        return result
    }

    public func auditEvents(touching recordIDs: Set<String>) async throws -> [AuditEvent] {
        guard !recordIDs.isEmpty else { return [] }
        // The ids are kept as a JSON array in one column.
        let rows = try await client.query(
            """
            SELECT at, action, device_id, adviser, team, record_ids, outcome, detail FROM audit_log
            WHERE record_ids::jsonb ?| \(recordIDs.sorted())::text[] ORDER BY id
            """,
            logger: logger)
        var result: [AuditEvent] = []
        for try await (at, action, deviceID, adviser, team, ids, outcome, detail) in rows.decode(
            (Date, String, String?, String?, String?, String, String, String?).self)
        {
            result.append(
                AuditEvent(
                    at: at, action: AuditAction(rawValue: action) ?? .push, deviceID: deviceID, adviser: adviser,
                    team: team, recordIDs: AuditEvent.decodeRecordIDs(ids), outcome: outcome, detail: detail))
        }
        return result
    }
}
