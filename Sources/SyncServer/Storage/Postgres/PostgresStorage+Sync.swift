import Foundation
import PostgresNIO
import SyncProtocol

extension PostgresStorage {
    /// Serializes every write that routes records (pushes and the server's own writes) across all server
    /// processes: a write may add positions to several teams' feeds, and positions must become visible in
    /// increasing order in each. An arbitrary constant.
    static let writeLockKey: Int64 = 0x6669_656c_6477_7269

    public func applyPush<Outcome: Sendable>(
        team: String,
        keys: [RecordKey],
        subjects: Set<String>,
        checkpoint: Int64?,
        audit: AuditEvent,
        merge: @Sendable (Int, StoredState?, SubjectScopeLookup) throws -> MergeStep<Outcome>
    ) async throws -> PushApplied<Outcome> {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.writeLockKey))", logger: logger)
            guard try await lastSeqs(connection, teams: [team])[team] != nil else {
                throw StorageError.teamNotFound(team)
            }
            var applied = try await applyWrites(
                connection, team: team, keys: keys, subjects: subjects, at: audit.at, merge: merge)
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
            applied.lastSeq = try await lastSeqs(connection, teams: [team])[team] ?? 0
            return applied
        }
    }

    public func applyServerWrite<Outcome: Sendable>(
        keys: [RecordKey], audit: AuditEvent,
        merge: @Sendable (Int, StoredState?, SubjectScopeLookup) throws -> MergeStep<Outcome>
    ) async throws -> PushApplied<Outcome> {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.writeLockKey))", logger: logger)
            let applied = try await applyWrites(
                connection, team: nil, keys: keys, subjects: [], at: audit.at, merge: merge)
            var event = audit
            event.recordIDs = keys.map(\.description)
            try await Self.insertAudit(event, connection: connection, logger: logger)
            return applied
        }
    }

    /// Merges, stores and routes a batch inside the caller's transaction (see ``FeedPlanner``), reading ahead
    /// what the synchronous merge step may need.
    private func applyWrites<Outcome: Sendable>(
        _ connection: PostgresConnection, team: String?, keys: [RecordKey], subjects: Set<String>, at date: Date,
        merge: (Int, StoredState?, SubjectScopeLookup) throws -> MergeStep<Outcome>
    ) async throws -> PushApplied<Outcome> {
        let storedRows = try await connection.query(
            """
            SELECT r.collection, r.id, r.team, r.body, coalesce(r.subject, ''),
                coalesce((SELECT string_agg(f.team, ' ') FROM feed f
                          WHERE f.collection = r.collection AND f.id = r.id AND NOT f.removed), '')
            FROM records r
            WHERE (r.collection, r.id) IN (
                SELECT * FROM unnest(\(keys.map(\.collection))::text[], \(keys.map(\.id))::text[]))
            """,
            logger: logger)
        var states: [RecordKey: StoredState] = [:]
        var wanted = subjects
        for try await (collection, id, home, body, subject, readers) in storedRows.decode(
            (String, String, String, String, String, String).self)
        {
            let key = RecordKey(collection: collection, id: id)
            states[key] = StoredState(body: Data(body.utf8), home: home, readers: RecordRouting.scope(column: readers))
            if !subject.isEmpty { wanted.insert(subject) }
        }
        var storedScopes = try await subjectScopes(connection, ids: wanted)

        var planner = FeedPlanner()
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(keys.count)
        var written: [(key: RecordKey, home: String, body: Data, routing: RecordRouting)] = []
        for (index, key) in keys.enumerated() {
            let state = states[key]
            let lookup: SubjectScopeLookup = { id in planner.scope(ofSubject: id) ?? storedScopes[id] }
            let step = try merge(index, state, lookup)
            outcomes.append(step.outcome)
            guard let body = step.newBody, let home = state?.home ?? team else { continue }
            let routing = step.routing ?? RecordRouting(scope: [home])
            planner.write(key, home: home, readers: state?.readers ?? [], routing: routing)
            written.append((key, home, body, routing))
        }
        let missing = planner.subjectsToLookUp.subtracting(storedScopes.keys)
        storedScopes.merge(try await subjectScopes(connection, ids: missing)) { old, _ in old }
        for id in planner.subjectsToLookUp { planner.subjectScope(id, is: storedScopes[id]) }
        for subject in planner.subjectsToFanOut {
            let notes = try await connection.query(
                """
                SELECT r.id, r.team, r.scope,
                    coalesce((SELECT string_agg(f.team, ' ') FROM feed f
                              WHERE f.collection = r.collection AND f.id = r.id AND NOT f.removed), '')
                FROM records r WHERE r.collection = 'notes' AND r.subject = \(subject)
                """,
                logger: logger)
            for try await (id, home, scope, readers) in notes.decode((String, String, String, String).self) {
                planner.fanOut(
                    note: RecordKey(collection: ScopeFields.notes, id: id), home: home,
                    readers: RecordRouting.scope(column: readers), scope: RecordRouting.scope(column: scope),
                    subject: subject)
            }
        }

        if !written.isEmpty {
            // closed_at: when the course first closed; kept while it stays closed (``Retention``).
            try await connection.query(
                """
                INSERT INTO records (
                    collection, id, team, body, seq, scope, subject, min_version, access_ends, closed_at)
                SELECT u.c, u.i, u.h, u.b, 0, u.s, nullif(u.j, ''), u.v, nullif(u.a, ''),
                    CASE WHEN u.z THEN \(date)::timestamptz END
                FROM unnest(\(written.map(\.key.collection))::text[], \(written.map(\.key.id))::text[],
                            \(written.map(\.home))::text[], \(written.map { String(decoding: $0.body, as: UTF8.self) })::text[],
                            \(written.map(\.routing.scopeColumn))::text[], \(written.map { $0.routing.subject ?? "" })::text[],
                            \(written.map { $0.routing.minimumVersion })::int8[],
                            \(written.map { $0.routing.accessEnds ?? "" })::text[],
                            \(written.map(\.routing.closedCourse))::bool[]) AS u(c, i, h, b, s, j, v, a, z)
                ON CONFLICT (collection, id) DO UPDATE SET body = EXCLUDED.body, scope = EXCLUDED.scope,
                    subject = EXCLUDED.subject, min_version = EXCLUDED.min_version, access_ends = EXCLUDED.access_ends,
                    closed_at = CASE WHEN EXCLUDED.closed_at IS NULL THEN NULL
                        ELSE coalesce(records.closed_at, EXCLUDED.closed_at) END
                """,
                logger: logger)
        }
        let writes = planner.writes
        var positions = try await lastSeqs(connection, teams: Set(writes.map(\.team)))
        var feed: [(team: String, key: RecordKey, seq: Int64, removed: Bool)] = []
        var removals: [String: [String]] = [:]
        for write in writes {
            guard let last = positions[write.team] else { continue }
            positions[write.team] = last + 1
            feed.append((write.team, write.key, last + 1, write.removed))
            if write.removed { removals[write.team, default: []].append(write.key.description) }
        }
        if !feed.isEmpty {
            try await connection.query(
                """
                INSERT INTO feed (team, collection, id, seq, removed)
                SELECT * FROM unnest(\(feed.map(\.team))::text[], \(feed.map(\.key.collection))::text[],
                                     \(feed.map(\.key.id))::text[], \(feed.map(\.seq))::int8[], \(feed.map(\.removed))::bool[])
                ON CONFLICT (team, collection, id) DO UPDATE SET seq = EXCLUDED.seq, removed = EXCLUDED.removed
                """,
                logger: logger)
            let touched = Set(feed.map(\.team)).sorted()
            try await connection.query(
                """
                UPDATE teams SET last_seq = u.s
                FROM unnest(\(touched)::text[], \(touched.map { positions[$0]! })::int8[]) AS u(n, s)
                WHERE teams.name = u.n
                """,
                logger: logger)
        }
        for (name, ids) in removals.sorted(by: { $0.key < $1.key }) {
            try await Self.insertAudit(
                AuditEvent(
                    at: date, action: .remove, deviceID: nil, adviser: nil, team: name, recordIDs: ids,
                    detail: "access ended"),
                connection: connection, logger: logger)
        }
        return PushApplied(outcomes: outcomes, written: written.count, lastSeq: 0)
    }

    private func lastSeqs(_ connection: PostgresConnection, teams: Set<String>) async throws -> [String: Int64] {
        guard !teams.isEmpty else { return [:] }
        let rows = try await connection.query(
            "SELECT name, last_seq FROM teams WHERE name = ANY(\(Array(teams))::text[])", logger: logger)
        var result: [String: Int64] = [:]
        for try await (name, seq) in rows.decode((String, Int64).self) { result[name] = seq }
        return result
    }

    private func subjectScopes(_ connection: PostgresConnection, ids: Set<String>) async throws -> [String: Set<String>] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await connection.query(
            "SELECT id, scope FROM records WHERE collection = 'subjects' AND id = ANY(\(Array(ids))::text[])",
            logger: logger)
        var result: [String: Set<String>] = [:]
        for try await (id, scope) in rows.decode((String, String).self) { result[id] = RecordRouting.scope(column: scope) }
        return result
    }

    public func pull(
        team: String, after: Int64, limit: Int, version: Int, audit: AuditEvent
    ) async throws -> PullSlice {
        try await client.withConnection { connection in
            // Read before the records: the sequence only grows, so a cursor beyond it was never issued.
            let seqRows = try await connection.query("SELECT last_seq FROM teams WHERE name = \(team)", logger: logger)
            var teamSeq: Int64?
            for try await seq in seqRows.decode(Int64.self) { teamSeq = seq }
            guard let lastSeq = teamSeq else { throw StorageError.teamNotFound(team) }
            let fetchLimit = limit + 1
            // A version-1 client is not told of removals and gets only what version 1 can represent.
            let allEntries = version >= 2
            let rows = try await connection.query(
                """
                SELECT f.collection, f.id, CASE WHEN f.removed THEN '' ELSE r.body END, f.seq, f.removed
                FROM feed f JOIN records r ON r.collection = f.collection AND r.id = f.id
                WHERE f.team = \(team) AND f.seq > \(after)
                    AND (\(allEntries) OR (NOT f.removed AND r.min_version <= \(Int64(version))))
                ORDER BY f.seq LIMIT \(fetchLimit)
                """,
                logger: logger)
            var records: [StoredRecord] = []
            var hasMore = false
            for try await (collection, id, body, seq, removed) in rows.decode((String, String, String, Int64, Bool).self) {
                if records.count == limit {
                    hasMore = true
                    continue
                }
                records.append(
                    StoredRecord(
                        key: RecordKey(collection: collection, id: id), body: Data(body.utf8), seq: seq, removed: removed))
            }
            var event = audit
            event.team = team
            event.recordIDs = records.filter { !$0.removed }.map(\.key.description)
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
