import Foundation
import SyncProtocol

/// Erases young people's courses a team closed longer ago than its retention period (GDPR storage limitation).
///
/// A course is closed while its subject's `status` is one of `Schemas.closingStatuses`; the server
/// keeps the time it first stored it closed (``ClosedSubject/closedAt``). A run purges, with the protocol's purge
/// under the server's replica id, every subject the team reads that was closed before the period's start, the
/// subjects folded into it (duplicates of the same young person) and every note about them, routed like a
/// device's purge, so every device erases them on its next pull. Each subject's purge is one transaction, audited
/// with the rule (``AuditAction/purge``). A subject that other teams also read is purged only when each of them
/// has a saved rule that lets it go too; otherwise it is kept and counted.
///
/// ```swift
/// let outcome = try await Retention(storage: storage)
///     .run(team: "north", closedAfter: try RetentionPeriod(parsing: "5y"), dryRun: true)
/// print(outcome.plan.subjectCount, outcome.plan.noteCount)
/// ```
public struct Retention: Sendable {
    let storage: any SyncStorage

    /// Creates the retention over a storage backend.
    public init(storage: any SyncStorage) {
        self.storage = storage
    }

    /// One young person's records that go: a subject, the subjects folded into it, and the notes about them.
    public struct Purge: Sendable, Hashable, Codable {
        /// The closed subject's id.
        public var subject: String
        /// Subjects folded into it (`mergedInto`), ids in byte order.
        public var folded: [String]
        /// Notes about any of them, ids in byte order.
        public var notes: [String]

        /// The subjects first, then the notes.
        var keys: [RecordKey] {
            ([subject] + folded).map { RecordKey(collection: ScopeFields.subjects, id: $0) }
                + notes.map { RecordKey(collection: ScopeFields.notes, id: $0) }
        }
    }

    /// What a rule lets go at a given time.
    public struct Plan: Sendable, Hashable, Codable {
        /// The team whose rule it is.
        public var team: String
        /// The rule's period.
        public var closedAfter: RetentionPeriod
        /// The time the rule is applied at.
        public var asOf: Date
        /// Courses closed before this instant are due.
        public var closedBefore: Date
        /// What goes, by subject id.
        public var purges: [Purge]
        /// Due subjects kept because another team reading them has no rule that lets them go yet.
        public var keptShared: [String]

        /// Subject records that go (folded duplicates included).
        public var subjectCount: Int { purges.reduce(0) { $0 + 1 + $1.folded.count } }
        /// Note records that go.
        public var noteCount: Int { purges.reduce(0) { $0 + $1.notes.count } }
        /// The rule as the audit names it.
        public var ruleDescription: String {
            "retention: closed-after \(closedAfter) (team \(team), closed before \(AccessExpiry.day(of: closedBefore)))"
        }
    }

    /// What a run did.
    public struct Outcome: Sendable, Hashable, Codable {
        /// What the rule let go when the run began.
        public var plan: Plan
        /// Whether nothing was changed (`--dry-run`).
        public var dryRun: Bool
        /// Record keys (`collection/id`) purged.
        public var purged: [String]
        /// Subjects left for the next run because they changed while the run planned (reopened, edited).
        public var changedMeanwhile: [String]
    }

    /// What `closedAfter`, as `team`'s rule, lets go at `asOf`.
    public func plan(team: String, closedAfter: RetentionPeriod, asOf: Date = Date()) async throws -> Plan {
        try await planWithBodies(team: team, closedAfter: closedAfter, asOf: asOf).plan
    }

    /// Applies `closedAfter` as `team`'s rule at `asOf`: plans, then (unless `dryRun`) purges, audited at `now`.
    public func run(
        team: String, closedAfter: RetentionPeriod, asOf: Date = Date(), dryRun: Bool = false, now: Date = Date()
    ) async throws -> Outcome {
        let (plan, bodies) = try await planWithBodies(team: team, closedAfter: closedAfter, asOf: asOf)
        var outcome = Outcome(plan: plan, dryRun: dryRun, purged: [], changedMeanwhile: [])
        guard !dryRun, !plan.purges.isEmpty else { return outcome }
        let replica = try ReplicaID(try await storage.serverReplica())
        let audit = AuditEvent(
            at: now, action: .purge, deviceID: nil, adviser: nil, team: team, detail: plan.ruleDescription)
        for purge in plan.purges {
            let expected = bodies[purge.subject]
            do {
                outcome.purged += try await self.purge(purge.keys, replica: replica, audit: audit) { index, body in
                    // The subject must be as planned: a course reopened or edited meanwhile waits for the next run.
                    if index == 0, body != expected { throw ChangedMeanwhile() }
                }
            } catch is ChangedMeanwhile {
                outcome.changedMeanwhile.append(purge.subject)
                continue
            }
            // Notes written about the young person while the run planned go too.
            var late: [RecordKey] = []
            for id in [purge.subject] + purge.folded { late += try await storage.notes(aboutSubject: id) }
            if !late.isEmpty {
                outcome.purged += try await self.purge(late, replica: replica, audit: audit) { _, _ in }
            }
        }
        return outcome
    }

    /// Applies every saved rule (``SyncStorage/retentionRules()``) at `asOf`, team by team.
    public func runSavedRules(asOf: Date = Date()) async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        for rule in try await storage.retentionRules() {
            outcomes.append(try await run(team: rule.team, closedAfter: rule.closedAfter, asOf: asOf))
        }
        return outcomes
    }

    private struct ChangedMeanwhile: Error {}

    /// Purges `keys` in one server write; `check` sees each stored body first and may throw to write nothing.
    private func purge(
        _ keys: [RecordKey], replica: ReplicaID, audit: AuditEvent,
        check: @escaping @Sendable (Int, Data) throws -> Void
    ) async throws -> [String] {
        let applied = try await storage.applyServerWrite(keys: keys, audit: audit) {
            index, state, _ throws -> MergeStep<String?> in
            guard let state else { return MergeStep(newBody: nil, outcome: nil) }
            let record = try WireCoding.decode(Record.self, from: state.body)
            // Purged already (by a device, or by another server process's run of the same rule): nothing to do.
            guard !record.isPurged else { return MergeStep(newBody: nil, outcome: nil) }
            try check(index, state.body)
            let purged = record.purging(by: replica)
            return MergeStep(
                newBody: try WireCoding.encode(purged),
                routing: SyncService.routing(of: purged, scope: purged.scope(home: state.home)),
                outcome: keys[index].description)
        }
        return applied.outcomes.compactMap { $0 }
    }

    /// The plan, and the stored bodies of its subjects as read, by id.
    private func planWithBodies(
        team: String, closedAfter: RetentionPeriod, asOf: Date
    ) async throws -> (plan: Plan, bodies: [String: Data]) {
        _ = try await storage.lastSeq(team: team)  // an unknown team is refused (``StorageError/teamNotFound(_:)``)
        let closedBefore = closedAfter.start(before: asOf)
        var plan = Plan(
            team: team, closedAfter: closedAfter, asOf: asOf, closedBefore: closedBefore, purges: [], keptShared: [])
        let others = Dictionary(
            try await storage.retentionRules().map { ($0.team, $0.closedAfter.start(before: asOf)) },
            uniquingKeysWith: { first, _ in first })
        // Whether another team reading the records keeps them: it has no saved rule, or one that keeps them still.
        func keptByAnother(_ readers: Set<String>, closedAt: Date) -> Bool {
            readers.subtracting([team]).contains { reader in others[reader].map { closedAt >= $0 } ?? true }
        }
        var due: [ClosedSubject] = []
        for subject in try await storage.closedSubjects()
        where subject.readers.contains(team) && subject.closedAt < closedBefore {
            if keptByAnother(subject.readers, closedAt: subject.closedAt) {
                plan.keptShared.append(subject.id)
            } else {
                due.append(subject)
            }
        }
        guard !due.isEmpty else { return (plan, [:]) }

        // The subjects as stored: still closed (the body decides), and which duplicates are folded into which.
        var stored: [String: (body: Data, readers: Set<String>)] = [:]
        var foldedInto: [String: [String]] = [:]
        for (key, body, readers) in try await storage.records(inCollection: ScopeFields.subjects) {
            guard let record = try? WireCoding.decode(Record.self, from: body), !record.isPurged else { continue }
            stored[key.id] = (body, readers)
            if case .reference(let target)? = record.value(ScopeFields.mergedInto) {
                foldedInto[target, default: []].append(key.id)
            }
        }
        var subjectBodies: [String: Data] = [:]
        for subject in due {
            let id = subject.id
            guard let body = stored[id]?.body, let record = try? WireCoding.decode(Record.self, from: body),
                record.hasClosedCourse
            else { continue }
            var folded: [String] = []
            var queue = foldedInto[id] ?? []
            while let next = queue.popLast() {
                guard next != id, !folded.contains(next) else { continue }
                folded.append(next)
                queue += foldedInto[next] ?? []
            }
            // A duplicate another team reads keeps the young person's records as the subject itself would.
            let foldedReaders = folded.reduce(into: Set<String>()) { $0.formUnion(stored[$1]?.readers ?? []) }
            if keptByAnother(foldedReaders, closedAt: subject.closedAt) {
                plan.keptShared.append(id)
                continue
            }
            subjectBodies[id] = body
            var notes: [String] = []
            for subject in [id] + folded { notes += try await storage.notes(aboutSubject: subject).map(\.id) }
            plan.purges.append(
                Purge(subject: id, folded: folded.sortedByBytes(), notes: Set(notes).sortedByBytes()))
        }
        return (plan, subjectBodies)
    }
}

extension Sequence<String> {
    fileprivate func sortedByBytes() -> [String] { sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
}
