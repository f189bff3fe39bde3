import Foundation
import GRDB
import SyncProtocol

extension SQLiteStorage {
    public func applyPush<Outcome: Sendable>(
        team: String,
        keys: [RecordKey],
        subjects: Set<String>,
        checkpoint: Int64?,
        audit: AuditEvent,
        merge: @Sendable (Int, StoredState?, SubjectScopeLookup) throws -> MergeStep<Outcome>
    ) async throws -> PushApplied<Outcome> {
        try await pool.write { db in
            guard try Self.lastSeq(db, team: team) != nil else { throw StorageError.teamNotFound(team) }
            var applied = try Self.applyWrites(db, team: team, keys: keys, at: audit.at, merge: merge)
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
            applied.lastSeq = try Self.lastSeq(db, team: team) ?? 0
            return applied
        }
    }

    public func applyServerWrite<Outcome: Sendable>(
        keys: [RecordKey], audit: AuditEvent,
        merge: @Sendable (Int, StoredState?, SubjectScopeLookup) throws -> MergeStep<Outcome>
    ) async throws -> PushApplied<Outcome> {
        try await pool.write { db in
            let applied = try Self.applyWrites(db, team: nil, keys: keys, at: audit.at, merge: merge)
            var event = audit
            event.recordIDs = keys.map(\.description)
            try Self.insertAudit(event, db: db)
            return applied
        }
    }

    /// Merges, stores and routes a batch inside the caller's transaction (see ``FeedPlanner``); `team` is the
    /// team pushed to, `nil` for the server's own writes (which never create records).
    static func applyWrites<Outcome: Sendable>(
        _ db: Database, team: String?, keys: [RecordKey], at date: Date,
        merge: (Int, StoredState?, SubjectScopeLookup) throws -> MergeStep<Outcome>
    ) throws -> PushApplied<Outcome> {
        var planner = FeedPlanner()
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(keys.count)
        var written: [(key: RecordKey, home: String, body: Data, routing: RecordRouting)] = []
        for (index, key) in keys.enumerated() {
            let state = try storedState(db, key: key)
            let lookup: SubjectScopeLookup = { id in
                try planner.scope(ofSubject: id) ?? subjectScope(db, id: id)
            }
            let step = try merge(index, state, lookup)
            outcomes.append(step.outcome)
            guard let body = step.newBody else { continue }
            guard let home = state?.home ?? team else { continue }
            let routing = step.routing ?? RecordRouting(scope: [home])
            planner.write(key, home: home, readers: state?.readers ?? [], routing: routing)
            written.append((key, home, body, routing))
        }
        for id in planner.subjectsToLookUp {
            planner.subjectScope(id, is: try subjectScope(db, id: id))
        }
        for subject in planner.subjectsToFanOut {
            let notes = try Row.fetchAll(
                db, sql: "SELECT id, team, scope FROM records WHERE collection = 'notes' AND subject = ?",
                arguments: [subject])
            for note in notes {
                let key = RecordKey(collection: ScopeFields.notes, id: note["id"])
                planner.fanOut(
                    note: key, home: note["team"], readers: try readers(db, key: key),
                    scope: RecordRouting.scope(column: note["scope"]), subject: subject)
            }
        }
        for record in written {
            // closed_at: when the course first closed; kept while it stays closed (``Retention``).
            try db.execute(
                sql: """
                    INSERT INTO records (
                        collection, id, team, body, seq, scope, subject, min_version, access_ends, closed_at)
                    VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?)
                    ON CONFLICT (collection, id) DO UPDATE SET body = excluded.body, scope = excluded.scope,
                        subject = excluded.subject, min_version = excluded.min_version,
                        access_ends = excluded.access_ends,
                        closed_at = CASE WHEN excluded.closed_at IS NULL THEN NULL
                            ELSE coalesce(records.closed_at, excluded.closed_at) END
                    """,
                arguments: [
                    record.key.collection, record.key.id, record.home, String(decoding: record.body, as: UTF8.self),
                    record.routing.scopeColumn, record.routing.subject, record.routing.minimumVersion,
                    record.routing.accessEnds, record.routing.closedCourse ? date.timeIntervalSince1970 : nil,
                ])
        }
        var positions: [String: Int64] = [:]
        var removals: [String: [String]] = [:]
        for write in planner.writes {
            let seq: Int64
            if let last = positions[write.team] {
                seq = last + 1
            } else {
                guard let last = try lastSeq(db, team: write.team) else { continue }
                seq = last + 1
            }
            positions[write.team] = seq
            try db.execute(
                sql: """
                    INSERT INTO feed (team, collection, id, seq, removed) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (team, collection, id) DO UPDATE SET seq = excluded.seq, removed = excluded.removed
                    """,
                arguments: [write.team, write.key.collection, write.key.id, seq, write.removed])
            if write.removed { removals[write.team, default: []].append(write.key.description) }
        }
        for (name, seq) in positions {
            try db.execute(sql: "UPDATE teams SET last_seq = ? WHERE name = ?", arguments: [seq, name])
        }
        // The server's audit says when each team stopped reading what (GDPR art. 15 asks who read it, and when
        // that ended).
        for (name, ids) in removals.sorted(by: { $0.key < $1.key }) {
            try insertAudit(
                AuditEvent(
                    at: date, action: .remove, deviceID: nil, adviser: nil, team: name, recordIDs: ids,
                    detail: "access ended"),
                db: db)
        }
        return PushApplied(outcomes: outcomes, written: written.count, lastSeq: 0)
    }

    static func lastSeq(_ db: Database, team: String) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT last_seq FROM teams WHERE name = ?", arguments: [team])
    }

    static func storedState(_ db: Database, key: RecordKey) throws -> StoredState? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT team, body FROM records WHERE collection = ? AND id = ?",
                arguments: [key.collection, key.id])
        else { return nil }
        return StoredState(
            body: Data((row["body"] as String).utf8), home: row["team"], readers: try readers(db, key: key))
    }

    static func readers(_ db: Database, key: RecordKey) throws -> Set<String> {
        Set(
            try String.fetchAll(
                db, sql: "SELECT team FROM feed WHERE collection = ? AND id = ? AND removed = 0",
                arguments: [key.collection, key.id]))
    }

    static func subjectScope(_ db: Database, id: String) throws -> Set<String>? {
        try String.fetchOne(
            db, sql: "SELECT scope FROM records WHERE collection = 'subjects' AND id = ?", arguments: [id]
        ).map(RecordRouting.scope(column:))
    }

    public func pull(
        team: String, after: Int64, limit: Int, version: Int, audit: AuditEvent
    ) async throws -> PullSlice {
        let slice = try await pool.read { db in
            guard let lastSeq = try Self.lastSeq(db, team: team) else { throw StorageError.teamNotFound(team) }
            // A version-1 client is not told of removals and gets only what version 1 can represent.
            let filter = version >= 2 ? "" : "AND f.removed = 0 AND r.min_version <= \(version)"
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT f.collection, f.id, f.seq, f.removed, CASE WHEN f.removed THEN '' ELSE r.body END AS body
                    FROM feed f JOIN records r ON r.collection = f.collection AND r.id = f.id
                    WHERE f.team = ? AND f.seq > ? \(filter) ORDER BY f.seq LIMIT ?
                    """,
                arguments: [team, after, limit + 1])
            let records = rows.prefix(limit).map { row in
                StoredRecord(
                    key: RecordKey(collection: row["collection"], id: row["id"]),
                    body: Data((row["body"] as String).utf8), seq: row["seq"], removed: row["removed"])
            }
            return PullSlice(
                records: records, nextSeq: records.last?.seq ?? after, hasMore: rows.count > limit, lastSeq: lastSeq)
        }
        var event = audit
        event.team = team
        event.recordIDs = slice.records.filter { !$0.removed }.map(\.key.description)
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
