import Foundation
import PostgresNIO
import SyncProtocol

extension PostgresStorage {
    public func applyPush<Outcome: Sendable>(
        team: String,
        keys: [RecordKey],
        checkpoint: Int64?,
        audit: AuditEvent,
        merge: @Sendable (Int, Data?) throws -> MergeStep<Outcome>
    ) async throws -> PushApplied<Outcome> {
        try await transaction { connection in
            // The team row lock serializes pushes to this team across every server process.
            let seqRows = try await connection.query(
                "SELECT last_seq FROM teams WHERE name = \(team) FOR UPDATE", logger: logger)
            var lastSeq: Int64?
            for try await seq in seqRows.decode(Int64.self) { lastSeq = seq }
            guard var seq = lastSeq else { throw StorageError.teamNotFound(team) }

            let storedRows = try await connection.query(
                """
                SELECT r.collection, r.id, r.team, r.body FROM records r
                WHERE (r.collection, r.id) IN (
                    SELECT * FROM unnest(\(keys.map(\.collection))::text[], \(keys.map(\.id))::text[]))
                """,
                logger: logger)
            var bodies: [RecordKey: Data] = [:]
            var foreign: Set<RecordKey> = []
            for try await (collection, id, owner, body) in storedRows.decode((String, String, String, String).self) {
                let key = RecordKey(collection: collection, id: id)
                if owner == team { bodies[key] = Data(body.utf8) } else { foreign.insert(key) }
            }

            var outcomes: [Outcome] = []
            outcomes.reserveCapacity(keys.count)
            var changedOrder: [RecordKey] = []
            var changed: Set<RecordKey> = []
            for (index, key) in keys.enumerated() {
                if foreign.contains(key) { throw StorageError.recordInAnotherTeam(key, index: index) }
                let step = try merge(index, bodies[key])
                outcomes.append(step.outcome)
                guard let body = step.newBody else { continue }
                bodies[key] = body
                if changed.insert(key).inserted { changedOrder.append(key) }
            }

            if !changedOrder.isEmpty {
                // A key written twice in one batch is stored once, with its final body.
                let newSeqs = changedOrder.indices.map { seq + Int64($0) + 1 }
                seq += Int64(changedOrder.count)
                let newBodies = changedOrder.map { String(decoding: bodies[$0]!, as: UTF8.self) }
                // The WHERE keeps a key that another team created concurrently (it holds a different team
                // lock) from changing hands; the missing row is noticed below and the batch rolled back.
                let written = try await connection.query(
                    """
                    INSERT INTO records (collection, id, team, body, seq)
                    SELECT u.c, u.i, \(team), u.b, u.s
                    FROM unnest(\(changedOrder.map(\.collection))::text[], \(changedOrder.map(\.id))::text[],
                                \(newBodies)::text[], \(newSeqs)::int8[]) AS u(c, i, b, s)
                    ON CONFLICT (collection, id) DO UPDATE SET body = EXCLUDED.body, seq = EXCLUDED.seq
                    WHERE records.team = EXCLUDED.team
                    RETURNING collection, id
                    """,
                    logger: logger)
                var stored: Set<RecordKey> = []
                for try await (collection, id) in written.decode((String, String).self) {
                    stored.insert(RecordKey(collection: collection, id: id))
                }
                if let index = keys.firstIndex(where: { changed.contains($0) && !stored.contains($0) }) {
                    throw StorageError.recordInAnotherTeam(keys[index], index: index)
                }
                try await connection.query("UPDATE teams SET last_seq = \(seq) WHERE name = \(team)", logger: logger)
            }
            if let checkpoint, let device = audit.deviceID {
                try await connection.query(
                    """
                    INSERT INTO device_positions (device_id, team, seq) VALUES (\(device), \(team), \(checkpoint))
                    ON CONFLICT (device_id, team) DO UPDATE SET seq = EXCLUDED.seq
                    """,
                    logger: logger)
            }
            var event = audit
            event.team = team
            event.recordIDs = keys.map(\.description)
            try await Self.insertAudit(event, connection: connection, logger: logger)
            return PushApplied(outcomes: outcomes, written: changedOrder.count, lastSeq: seq)
        }
    }

    public func pull(team: String, after: Int64, limit: Int, audit: AuditEvent) async throws -> PullSlice {
        try await client.withConnection { connection in
            // Read before the records: the sequence only grows, so a cursor beyond it was never issued.
            let seqRows = try await connection.query("SELECT last_seq FROM teams WHERE name = \(team)", logger: logger)
            var teamSeq: Int64?
            for try await seq in seqRows.decode(Int64.self) { teamSeq = seq }
            guard let lastSeq = teamSeq else { throw StorageError.teamNotFound(team) }
            let fetchLimit = limit + 1
            let rows = try await connection.query(
                """
                SELECT collection, id, body, seq FROM records
                WHERE team = \(team) AND seq > \(after) ORDER BY seq LIMIT \(fetchLimit)
                """,
                logger: logger)
            var records: [StoredRecord] = []
            var hasMore = false
            for try await (collection, id, body, seq) in rows.decode((String, String, String, Int64).self) {
                if records.count == limit {
                    hasMore = true
                    continue
                }
                records.append(
                    StoredRecord(key: RecordKey(collection: collection, id: id), body: Data(body.utf8), seq: seq))
            }
            var event = audit
            event.team = team
            event.recordIDs = records.map(\.key.description)
            try await Self.insertAudit(event, connection: connection, logger: logger)
            return PullSlice(records: records, nextSeq: records.last?.seq ?? after, hasMore: hasMore, lastSeq: lastSeq)
        }
    }

    public func stablePosition(team: String) async throws -> Int64 {
        let rows = try await client.query(
            """
            SELECT coalesce(min(coalesce(p.seq, 0)), 0)::int8 FROM devices d
            JOIN memberships m ON m.adviser = d.adviser AND m.team = \(team)
            LEFT JOIN device_positions p ON p.device_id = d.id AND p.team = m.team
            WHERE d.revoked_at IS NULL
            """,
            logger: logger)
        for try await position in rows.decode(Int64.self) { return position }
        return 0
    }
}
