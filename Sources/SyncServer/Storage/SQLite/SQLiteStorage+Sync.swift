import Foundation
import GRDB
import SyncProtocol

extension SQLiteStorage {
    public func applyPush<Outcome: Sendable>(
        team: String,
        keys: [RecordKey],
        checkpoint: Int64?,
        audit: AuditEvent,
        merge: @Sendable (Int, Data?) throws -> MergeStep<Outcome>
    ) async throws -> PushApplied<Outcome> {
        try await pool.write { db in
            guard var seq = try Int64.fetchOne(db, sql: "SELECT last_seq FROM teams WHERE name = ?", arguments: [team])
            else { throw StorageError.teamNotFound(team) }
            var outcomes: [Outcome] = []
            outcomes.reserveCapacity(keys.count)
            var written = 0
            for (index, key) in keys.enumerated() {
                let row = try Row.fetchOne(
                    db, sql: "SELECT team, body FROM records WHERE collection = ? AND id = ?",
                    arguments: [key.collection, key.id])
                if let row, (row["team"] as String) != team {
                    throw StorageError.recordInAnotherTeam(key, index: index)
                }
                let step = try merge(index, row.map { Data(($0["body"] as String).utf8) })
                outcomes.append(step.outcome)
                guard let body = step.newBody else { continue }
                seq += 1
                written += 1
                try db.execute(
                    sql: """
                        INSERT INTO records (team, collection, id, body, seq) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (collection, id) DO UPDATE SET body = excluded.body, seq = excluded.seq
                        """,
                    arguments: [team, key.collection, key.id, String(decoding: body, as: UTF8.self), seq])
            }
            if written > 0 {
                try db.execute(sql: "UPDATE teams SET last_seq = ? WHERE name = ?", arguments: [seq, team])
            }
            if let checkpoint, let device = audit.deviceID {
                try db.execute(
                    sql: """
                        INSERT INTO device_positions (device_id, team, seq) VALUES (?, ?, ?)
                        ON CONFLICT (device_id, team) DO UPDATE SET seq = excluded.seq
                        """,
                    arguments: [device, team, checkpoint])
            }
            var event = audit
            event.team = team
            event.recordIDs = keys.map(\.description)
            try Self.insertAudit(event, db: db)
            return PushApplied(outcomes: outcomes, written: written, lastSeq: seq)
        }
    }

    public func pull(team: String, after: Int64, limit: Int, audit: AuditEvent) async throws -> PullSlice {
        let slice = try await pool.read { db in
            guard
                let lastSeq = try Int64.fetchOne(
                    db, sql: "SELECT last_seq FROM teams WHERE name = ?", arguments: [team])
            else { throw StorageError.teamNotFound(team) }
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT collection, id, body, seq FROM records WHERE team = ? AND seq > ? ORDER BY seq LIMIT ?
                    """,
                arguments: [team, after, limit + 1])
            let records = rows.prefix(limit).map { row in
                StoredRecord(
                    key: RecordKey(collection: row["collection"], id: row["id"]),
                    body: Data((row["body"] as String).utf8), seq: row["seq"])
            }
            return PullSlice(
                records: records, nextSeq: records.last?.seq ?? after, hasMore: rows.count > limit, lastSeq: lastSeq)
        }
        var event = audit
        event.team = team
        event.recordIDs = slice.records.map(\.key.description)
        try await pullAudit.append(event)
        return slice
    }

    public func stablePosition(team: String) async throws -> Int64 {
        try await pool.read { db in
            // Devices of the team's advisers that are not revoked; one that never checkpointed counts as 0.
            let sql = """
                SELECT coalesce(min(coalesce(p.seq, 0)), 0) FROM devices d
                JOIN memberships m ON m.adviser = d.adviser AND m.team = ?
                LEFT JOIN device_positions p ON p.device_id = d.id AND p.team = m.team
                WHERE d.revoked_at IS NULL
                """
            return try Int64.fetchOne(db, sql: sql, arguments: [team]) ?? 0
        }
    }
}
