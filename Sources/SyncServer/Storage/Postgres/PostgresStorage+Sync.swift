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
        var event = audit
        event.team = team
        event.recordIDs = keys.map(\.description)
        let position = checkpoint.flatMap { seq in audit.deviceID.map { (device: $0, seq: seq) } }
        return try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.writeLockKey))", logger: logger)
            return try await applyWrites(
                connection, team: team, keys: keys, subjects: subjects, event: event, position: position,
                merge: merge)
        }
    }

    public func applyServerWrite<Outcome: Sendable>(
        keys: [RecordKey], audit: AuditEvent,
        merge: @Sendable (Int, StoredState?, SubjectScopeLookup) throws -> MergeStep<Outcome>
    ) async throws -> PushApplied<Outcome> {
        var event = audit
        event.recordIDs = keys.map(\.description)
        return try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.writeLockKey))", logger: logger)
            return try await applyWrites(
                connection, team: nil, keys: keys, subjects: [], event: event, position: nil, merge: merge)
        }
    }

    /// Merges, stores and routes a batch inside the caller's transaction, after the write lock (see
    /// ``FeedPlanner``), and audits it with `event`; for a push (`team`), also stores the device's `position`.
    ///
    /// Round trips, after `BEGIN` and the lock: one read (the stored states, the pushed notes' subjects' scopes,
    /// the team's position) and one write (records, feed entries, positions, audit), then `COMMIT`. Only a batch
    /// that needs more reads more: subjects its stored notes name and it does not, subjects the planner asks
    /// for, and the notes of subjects whose readers change (one query for all).
    private func applyWrites<Outcome: Sendable>(
        _ connection: PostgresConnection, team: String?, keys: [RecordKey], subjects: Set<String>,
        event: AuditEvent, position: (device: String, seq: Int64)?,
        merge: (Int, StoredState?, SubjectScopeLookup) throws -> MergeStep<Outcome>
    ) async throws -> PushApplied<Outcome> {
        let storedRows = try await connection.query(
            """
            SELECT 'r', r.collection, r.id, r.team, r.body, r.sealed, coalesce(r.subject, ''),
                coalesce((SELECT string_agg(f.team, ' ') FROM feed f
                          WHERE f.collection = r.collection AND f.id = r.id AND NOT f.removed), ''), 0::int8
            FROM records r
            WHERE (r.collection, r.id) IN (
                SELECT * FROM unnest(\(keys.map(\.collection))::text[], \(keys.map(\.id))::text[]))
            UNION ALL
            SELECT 's', s.collection, s.id, '', '', NULL::bytea, '', s.scope, 0::int8 FROM records s
            WHERE s.collection = 'subjects' AND s.id = ANY(\(Array(subjects))::text[])
            UNION ALL
            SELECT 't', '', t.name, '', '', NULL::bytea, '', '', t.last_seq FROM teams t WHERE t.name = \(team)
            """,
            logger: logger)
        var states: [RecordKey: StoredState] = [:]
        var storedScopes: [String: Set<String>] = [:]
        var teamSeq: Int64?
        var storedSubjects: Set<String> = []
        for try await (kind, collection, id, home, text, sealed, subject, readers, seq) in storedRows.decode(
            (String, String, String, String, String, ByteBuffer?, String, String, Int64).self)
        {
            switch kind {
            case "s":
                storedScopes[id] = RecordRouting.scope(column: readers)
            case "t":
                teamSeq = seq
            default:
                let key = RecordKey(collection: collection, id: id)
                let body = try openedBody(text: text, sealed: sealed, home: home, key: key)
                states[key] = StoredState(body: body, home: home, readers: RecordRouting.scope(column: readers))
                if let subject = storedSubject(column: subject, body: body, key: key) { storedSubjects.insert(subject) }
            }
        }
        if let team, teamSeq == nil { throw StorageError.teamNotFound(team) }
        // Every subject looked up so far, found or not: none is read twice (nothing changes under the lock).
        var lookedUp = subjects
        let extra = storedSubjects.subtracting(lookedUp)
        storedScopes.merge(try await subjectScopes(connection, ids: extra)) { old, _ in old }
        lookedUp.formUnion(extra)

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
        let missing = planner.subjectsToLookUp.subtracting(lookedUp)
        storedScopes.merge(try await subjectScopes(connection, ids: missing)) { old, _ in old }
        for id in planner.subjectsToLookUp { planner.subjectScope(id, is: storedScopes[id]) }
        let fanOut = planner.subjectsToFanOut
        if !fanOut.isEmpty {
            // The subject column holds the id, or its blind index in an encrypted database.
            let subjectOfColumn = Dictionary(fanOut.map { (subjectColumn($0), $0) }) { first, _ in first }
            let notes = try await connection.query(
                """
                SELECT r.subject, r.id, r.team, r.scope,
                    coalesce((SELECT string_agg(f.team, ' ') FROM feed f
                              WHERE f.collection = r.collection AND f.id = r.id AND NOT f.removed), '')
                FROM records r WHERE r.collection = 'notes' AND r.subject = ANY(\(Array(subjectOfColumn.keys))::text[])
                """,
                logger: logger)
            var notesOf: [String: [(id: String, home: String, scope: String, readers: String)]] = [:]
            for try await (column, id, home, scope, readers) in notes.decode(
                (String, String, String, String, String).self)
            {
                guard let subject = subjectOfColumn[column] else { continue }
                notesOf[subject, default: []].append((id, home, scope, readers))
            }
            for subject in fanOut {
                for note in notesOf[subject] ?? [] {
                    planner.fanOut(
                        note: RecordKey(collection: ScopeFields.notes, id: note.id), home: note.home,
                        readers: RecordRouting.scope(column: note.readers),
                        scope: RecordRouting.scope(column: note.scope), subject: subject)
                }
            }
        }

        // Sealed (or not) here, so a body leaves the process only as its envelope (PostgresStorage+Sealing).
        let stored = try written.map { try storedForm(of: $0.body, home: $0.home, key: $0.key) }
        // Feed positions are numbered in the statement, per team in the planner's order, after the team's position;
        // writes to a team that does not exist are dropped, and so are their removals' audit events.
        let writes = planner.writes
        var removals: [String: [String]] = [:]
        for write in writes where write.removed { removals[write.team, default: []].append(write.key.description) }
        let removalTeams = removals.keys.sorted()
        let date = event.at
        let rows = try await connection.query(
            """
            WITH stored AS (
                INSERT INTO records (
                    collection, id, team, body, sealed, seq, scope, subject, min_version, access_ends, closed_at)
                SELECT u.c, u.i, u.h, u.b, nullif(u.x, ''::bytea), 0, u.s, nullif(u.j, ''), u.v, nullif(u.a, ''),
                    CASE WHEN u.z THEN \(date)::timestamptz END
                FROM unnest(\(written.map(\.key.collection))::text[], \(written.map(\.key.id))::text[],
                            \(written.map(\.home))::text[], \(stored.map(\.text))::text[],
                            \(stored.map(\.sealed))::bytea[],
                            \(written.map(\.routing.scopeColumn))::text[],
                            \(written.map { $0.routing.subject.map(subjectColumn) ?? "" })::text[],
                            \(written.map { $0.routing.minimumVersion })::int8[],
                            \(written.map { $0.routing.accessEnds ?? "" })::text[],
                            \(written.map(\.routing.closedCourse))::bool[]) AS u(c, i, h, b, x, s, j, v, a, z)
                ON CONFLICT (collection, id) DO UPDATE SET body = EXCLUDED.body, sealed = EXCLUDED.sealed,
                    scope = EXCLUDED.scope,
                    subject = EXCLUDED.subject, min_version = EXCLUDED.min_version, access_ends = EXCLUDED.access_ends,
                    closed_at = CASE WHEN EXCLUDED.closed_at IS NULL THEN NULL
                        ELSE coalesce(records.closed_at, EXCLUDED.closed_at) END
            ),
            numbered AS (
                SELECT w.t, w.c, w.i, w.r, teams.last_seq + row_number() OVER (PARTITION BY w.t ORDER BY w.o) AS s
                FROM unnest(\(writes.map(\.team))::text[], \(writes.map(\.key.collection))::text[],
                            \(writes.map(\.key.id))::text[], \(writes.map(\.removed))::bool[],
                            \(writes.indices.map(Int64.init))::int8[]) AS w(t, c, i, r, o)
                JOIN teams ON teams.name = w.t
            ),
            entries AS (
                INSERT INTO feed (team, collection, id, seq, removed) SELECT t, c, i, s, r FROM numbered
                ON CONFLICT (team, collection, id) DO UPDATE SET seq = EXCLUDED.seq, removed = EXCLUDED.removed
            ),
            positions AS (
                UPDATE teams SET last_seq = m.s FROM (SELECT t, max(s) AS s FROM numbered GROUP BY t) AS m
                WHERE teams.name = m.t RETURNING teams.name, teams.last_seq
            ),
            device AS (
                INSERT INTO device_positions (device_id, team, seq)
                SELECT \(position?.device), \(team), \(position?.seq) WHERE \(position?.seq)::int8 IS NOT NULL
                ON CONFLICT (device_id, team) DO UPDATE SET seq = EXCLUDED.seq
            ),
            audited AS (
                INSERT INTO audit_log (at, action, device_id, adviser, team, record_ids, outcome, detail)
                SELECT e.at, e.action, e.device_id, e.adviser, e.team, e.record_ids, e.outcome, e.detail FROM (
                    SELECT 0 AS o, m.n AS n, \(date)::timestamptz AS at, \(AuditAction.remove.rawValue)::text AS action,
                        NULL::text AS device_id, NULL::text AS adviser, m.t AS team, m.j AS record_ids,
                        'ok'::text AS outcome, 'access ended'::text AS detail
                    FROM unnest(\(removalTeams)::text[],
                                \(removalTeams.map { AuditEvent.encodeRecordIDs(removals[$0] ?? []) })::text[],
                                \(removalTeams.indices.map(Int64.init))::int8[]) AS m(t, j, n)
                    WHERE EXISTS (SELECT 1 FROM teams WHERE teams.name = m.t)
                    UNION ALL
                    SELECT 1, 0, \(date)::timestamptz, \(event.action.rawValue)::text, \(event.deviceID)::text,
                        \(event.adviser)::text, \(event.team)::text,
                        \(AuditEvent.encodeRecordIDs(event.recordIDs))::text,
                        \(event.outcome)::text, \(event.detail)::text
                ) AS e ORDER BY e.o, e.n
            )
            SELECT name, last_seq FROM positions
            """,
            logger: logger)
        var lastSeq = teamSeq ?? 0
        for try await (name, seq) in rows.decode((String, Int64).self) where name == team { lastSeq = seq }
        return PushApplied(outcomes: outcomes, written: written.count, lastSeq: lastSeq)
    }

    private func subjectScopes(
        _ connection: PostgresConnection, ids: Set<String>
    ) async throws -> [String: Set<String>] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await connection.query(
            "SELECT id, scope FROM records WHERE collection = 'subjects' AND id = ANY(\(Array(ids))::text[])",
            logger: logger)
        var result: [String: Set<String>] = [:]
        for try await (id, scope) in rows.decode((String, String).self) {
            result[id] = RecordRouting.scope(column: scope)
        }
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
                SELECT f.collection, f.id, r.team, CASE WHEN f.removed THEN '' ELSE r.body END,
                    CASE WHEN f.removed THEN NULL ELSE r.sealed END, f.seq, f.removed
                FROM feed f JOIN records r ON r.collection = f.collection AND r.id = f.id
                WHERE f.team = \(team) AND f.seq > \(after)
                    AND (\(allEntries) OR (NOT f.removed AND r.min_version <= \(Int64(version))))
                ORDER BY f.seq LIMIT \(fetchLimit)
                """,
                logger: logger)
            var records: [StoredRecord] = []
            var hasMore = false
            for try await (collection, id, home, text, sealed, seq, removed) in rows.decode(
                (String, String, String, String, ByteBuffer?, Int64, Bool).self)
            {
                if records.count == limit {
                    hasMore = true
                    continue
                }
                let key = RecordKey(collection: collection, id: id)
                // A removal carries no body, sealed or not.
                let body = removed ? Data() : try openedBody(text: text, sealed: sealed, home: home, key: key)
                records.append(StoredRecord(key: key, body: body, seq: seq, removed: removed))
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
