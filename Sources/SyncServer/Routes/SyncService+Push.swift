import Foundation
import Hummingbird
import Logging
import SyncProtocol

extension SyncService {
    /// `POST /v1/teams/{team}/push`: reads and decodes the batch, then ``push(_:identity:team:logger:)``.
    func push(_ request: Request, context: SyncRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let team = try context.parameters.require("team")
        let batch: PushBatch
        do {
            // The protocol's order of checks: body size, then team, then decoding.
            let body = try await readBody(request)
            try authorize(identity, team: team)
            batch = try decode(PushBatch.self, from: body)
        } catch {
            await refusedPush(error, batch: nil, identity: identity, team: team, logger: context.logger)
            throw error
        }
        return try .json(encoding: try await push(batch, identity: identity, team: team, logger: context.logger))
    }

    /// Applies a decoded push batch of an authenticated device: validates it, then merges it into the team in
    /// one transaction, and answers the protocol's ``PushResult``; a refusal is audited and thrown (an
    /// ``APIError``, or a storage error the HTTP layer maps).
    ///
    /// The HTTP route and the simulator both call this, so the simulator's oracle vouches for the shipped rules.
    package func push(
        _ batch: PushBatch, identity: DeviceIdentity, team: String, logger: Logger
    ) async throws -> PushResult {
        do {
            try authorize(identity, team: team)
            return try await apply(batch, identity: identity, team: team, logger: logger)
        } catch {
            await refusedPush(error, batch: batch, identity: identity, team: team, logger: logger)
            throw error
        }
    }

    /// Audits a refused push, with what it tried to write (nothing was written), and logs push-rule refusals.
    private func refusedPush(
        _ error: any Error, batch: PushBatch?, identity: DeviceIdentity, team: String, logger: Logger
    ) async {
        let batchID = batch?.batchID
        await auditRefusal(
            error, action: .push, identity: identity, team: team,
            recordIDs: batch?.records.map(\.key.description) ?? [], detail: batchID.map { "batch=\($0)" },
            logger: logger)
        // A clock the push rule refuses is a hostile or broken device, or a store restored from a backup:
        // operators should hear of it (no record, replica or counter in the log, only who and which batch).
        if let code = (error as? APIError)?.body.code, code == .clockAhead || code == .replicaRolledBack {
            logger.warning(
                "push refused by the push rule",
                metadata: [
                    "code": "\(code)", "device": "\(identity.deviceID)", "team": "\(team)",
                    "batch": "\(batchID ?? "?")",
                ])
        }
    }

    private func apply(
        _ batch: PushBatch, identity: DeviceIdentity, team: String, logger: Logger
    ) async throws -> PushResult {
        try validate(batch, identity: identity)

        // The applied cursor of a final batch tells which changes the device had seen (compaction input).
        let applied = try batch.cursor.map { try PullCursor(parsing: $0, team: team).seq }
        // A cursor beyond the team's sequence was never issued (the sequence only grows, so reading it before
        // the push's transaction is enough): refused, so a forged checkpoint cannot hold up compaction's input.
        if let applied, applied > 0, try await storage.lastSeq(team: team) < applied {
            throw APIError(.invalidCursor, "the cursor is ahead of the team's change sequence")
        }
        let checkpoint = batch.final ? (applied ?? 0) : nil
        let records = batch.records
        let canPurge = identity.canPurge
        let pusher = batch.replica
        // A re-enrolled device's earlier replica ids are its own too (README §4.1, §11.3).
        let earlier = Set(identity.earlierReplicas.compactMap { try? ReplicaID($0) })
        let purges = records.count(where: \.isPurged)
        let audit = AuditEvent(
            at: Date(), action: .push, deviceID: identity.deviceID, adviser: identity.adviser, team: team,
            detail: "batch=\(batch.batchID) records=\(records.count) purged=\(purges) final=\(batch.final)")
        // Whom this team may share with; read before the transaction (an administrator's concurrent change
        // applies from the next push).
        let partners = try await storage.partners(of: team)
        let version = batch.protocolVersion
        let rules = rules
        let result = try await storage.applyPush(
            team: team, keys: records.map(\.key), subjects: Set(records.compactMap(\.subjectID)),
            checkpoint: checkpoint, audit: audit
        ) {
            index, stored, subjectScope in
            try Self.mergeStep(
                incoming: records[index], index: index, stored: stored, team: team, partners: partners,
                subjectScope: subjectScope, version: version, pusher: pusher, earlier: earlier, canPurge: canPurge,
                rules: rules)
        }
        let merged = result.outcomes.count { $0.outcome.status == .merged }
        // After the commit, outside the write lock: only the metric needs the text merges, within a budget.
        let conflicts = Self.countConflicts(in: result.outcomes.compactMap(\.written))
        if conflicts.unchecked > 0 {
            logger.debug(
                "conflict count incomplete: the request's merge budget ran out",
                metadata: ["batch": "\(batch.batchID)", "unchecked": "\(conflicts.unchecked)"])
        }
        metrics.pushes.increment()
        metrics.recordsPushed.increment(by: Int64(records.count))
        metrics.recordsWritten.increment(by: Int64(result.written))
        metrics.recordsMerged.increment(by: Int64(merged))
        metrics.recordsConflicted.increment(by: Int64(conflicts.conflicted))
        logger.info(
            "push applied",
            metadata: [
                "team": "\(team)", "batch": "\(batch.batchID)", "records": "\(records.count)",
                "written": "\(result.written)", "merged": "\(merged)", "conflicted": "\(conflicts.conflicted)",
                "seq": "\(result.lastSeq)",
            ])
        return PushResult(
            protocolVersion: batch.protocolVersion, batchID: batch.batchID, sequence: UInt64(result.lastSeq),
            results: result.outcomes.map(\.outcome))
    }

    /// Checks what the decoder cannot: the batch size, the device's replica, every record's schema.
    func validate(_ batch: PushBatch, identity: DeviceIdentity) throws(APIError) {
        let limit = configuration.limits.maxBatchRecords
        guard batch.records.count <= limit else {
            throw APIError(.batchTooLarge, "\(batch.records.count) records in one batch; the limit is \(limit)")
        }
        guard batch.replica.rawValue == identity.replica else {
            throw APIError(
                .invalidValue, "the batch's replica is not this device's replica",
                details: ErrorDetails(path: "replica"))
        }
        for (index, record) in batch.records.enumerated() {
            let details = ErrorDetails(collection: record.collection, id: record.id, index: index)
            guard let schema = schemas[record.collection] else {
                throw APIError(.invalidValue, "unknown collection", details: details)
            }
            do {
                try schema.validate(record)
            } catch {
                throw APIError(.invalidValue, error.description, details: details)
            }
        }
    }

    /// What became of one pushed record: the answer, and the record stored if the push changed it.
    struct RecordOutcome: Sendable {
        var outcome: PushOutcome
        var written: Record?
    }

    /// The text-merge work one push may spend on telling which written records are left in conflict (for the
    /// `records_conflicted` metric only: nothing the server stores or answers depends on it). Four times the
    /// largest single comparison table: ordinary batches never come near it, while a batch built to make the
    /// server diff long texts stops costing CPU here (the merge itself, the CRDT join, is linear in the body).
    static let conflictCheckCells = 4 * ThreeWayMerge.maxTableCells

    /// How many of `records` are in conflict, as far as the budget of ``conflictCheckCells`` lets it tell;
    /// `unchecked` counts those it could not.
    static func countConflicts(
        in records: [Record], budget cells: Int = conflictCheckCells
    ) -> (conflicted: Int, unchecked: Int) {
        var budget = ThreeWayMerge.Budget(cells: cells)
        var conflicted = 0
        var unchecked = 0
        for record in records {
            switch record.isInConflict(spending: &budget) {
            case true?: conflicted += 1
            case false?: break
            case nil: unchecked += 1
            }
        }
        return (conflicted, unchecked)
    }

    /// Merges one pushed record into the stored one: what to store, who reads it, and what to answer.
    ///
    /// Runs inside the storage's push transaction, on the stored state that transaction read, so the push
    /// rule (a push advances only `pusher`'s clock entries, README §11.3) and the scope rule (README §14) are
    /// checked against exactly the state the record is merged into, also when other pushes run concurrently.
    static func mergeStep(
        incoming: Record, index: Int, stored state: StoredState?, team: String, partners: Set<String>,
        subjectScope: SubjectScopeLookup, version: Int, pusher: ReplicaID, earlier: Set<ReplicaID> = [], canPurge: Bool,
        rules: SyncServiceRules = .standard
    ) throws -> MergeStep<RecordOutcome> {
        let stored = try state.map { try WireCoding.decode(Record.self, from: $0.body) }
        if incoming.isPurged, stored?.isPurged != true, !canPurge {
            throw APIError(
                .forbiddenRecord, "this device may not purge \(incoming.key); nothing in the batch was written",
                details: ErrorDetails(collection: incoming.collection, id: incoming.id, index: index))
        }
        do {
            try incoming.checkPushClaims(by: pusher, earlier: earlier, stored: stored)
        } catch {
            throw APIError(error.errorBody(index: index))
        }
        let result = stored.map { rules.merge($0, incoming) } ?? incoming
        let home = state?.home ?? team
        let decision: ScopeRule.Decision
        do {
            let subject = try result.subjectID.flatMap { try subjectScope($0) }
            decision = try ScopeRule.decide(
                merged: result, stored: stored, home: home, storedReaders: state?.readers ?? [], team: team,
                partners: partners, subjectScope: subject, version: version)
        } catch let violation as ScopeViolation {
            throw APIError(violation.errorBody(key: incoming.key, index: index))
        }
        let newBody = result == stored ? nil : try WireCoding.encode(result)
        let outcome: PushOutcome = result == incoming ? .accepted(incoming.key) : .merged(result)
        var routed = decision.scope
        if rules.forgetsNarrowing, let stored {
            // The fault: teams that left the scope keep receiving the record and are never told to drop it.
            routed.formUnion(stored.scope(home: home))
        }
        return MergeStep(
            newBody: newBody, routing: Self.routing(of: result, scope: routed),
            outcome: RecordOutcome(outcome: outcome, written: newBody == nil ? nil : result))
    }

    /// The routing columns of a record the server stores.
    static func routing(of record: Record, scope: Set<String>) -> RecordRouting {
        RecordRouting(
            scope: scope, subject: record.subjectID, minimumVersion: record.isRepresentable(inVersion: 1) ? 1 : 2,
            accessEnds: record.accessEnds.first?.day, closedCourse: record.hasClosedCourse)
    }
}
