import Foundation
import SyncProtocol

/// Drops metadata no future merge can need (merge.md, "Metadata bounds and garbage collection"): the text bases
/// of stable sole text writes, and the content of stable tombstones.
///
/// A version is **stable** for a team when it sits at or below the team's stable position (README §4.4: every
/// active device of the team had pulled past it before a complete push). A record is compacted only when the
/// version the server holds is stable for every team that reads it, with its own clock as the stable clock:
/// every replica still able to write the record has seen that version, so nothing concurrent with it can still
/// arrive. The compacted state keeps its clock and readers and is stored as a new version, so devices pull it
/// and drop the same metadata by merging it (a compacted state wins over an uncompacted copy of its clock).
///
/// Nothing is ever removed from a feed, so no cursor expires: the server does not drop tombstones altogether
/// (merge.md allows it, not requires it), and `cursor_expired` is never answered.
public struct Compaction: Sendable {
    let storage: any SyncStorage

    /// Creates a compaction over a storage backend.
    public init(storage: any SyncStorage) {
        self.storage = storage
    }

    /// What one run found (and, unless it was a dry run, did).
    public struct Outcome: Sendable, Hashable, Codable {
        /// Records the server holds.
        public var records: Int
        /// Records whose stored version is stable for every team that reads it.
        public var stable: Int
        /// Stable records with something to drop (compacted, unless a dry run; a record changed by a push
        /// meanwhile is left for the next run).
        public var compactable: Int
        /// Records stored compacted by this run (0 for a dry run).
        public var compacted: Int
        /// The stored size of the compactable records before and after, in bytes.
        public var bytesBefore: Int
        /// The stored size of the compactable records after compaction, in bytes.
        public var bytesAfter: Int
    }

    /// One record to compact, as read before the write: the write happens only if it is still this version.
    struct Candidate: Sendable {
        var key: RecordKey
        var clock: VersionVector
        var readers: Set<String>
    }

    /// Compacts every record whose stored version is stable for all its readers; with `dryRun`, only counts.
    @discardableResult
    public func run(dryRun: Bool = false, now: Date = Date()) async throws -> Outcome {
        // Where each record sits in each team's feed, and whether that is at or below the team's stable position.
        var positions: [RecordKey: [String: Bool]] = [:]
        for team in try await storage.teams() {
            let stable = try await storage.stablePosition(team: team.name)
            for (key, seq) in try await storage.feedPositions(team: team.name) {
                positions[key, default: [:]][team.name] = stable > 0 && seq <= stable
            }
        }
        var outcome = Outcome(records: 0, stable: 0, compactable: 0, compacted: 0, bytesBefore: 0, bytesAfter: 0)
        var candidates: [Candidate] = []
        for collection in [ScopeFields.subjects, ScopeFields.notes] {
            for entry in try await storage.records(inCollection: collection) {
                outcome.records += 1
                guard let readers = positions[entry.key], !readers.isEmpty, readers.values.allSatisfy({ $0 })
                else { continue }
                outcome.stable += 1
                let record = try WireCoding.decode(Record.self, from: entry.body)
                let compacted = record.compacted(stableClock: record.clock)
                guard compacted != record else { continue }
                outcome.compactable += 1
                outcome.bytesBefore += entry.body.count
                outcome.bytesAfter += try WireCoding.encode(compacted).count
                candidates.append(Candidate(key: entry.key, clock: record.clock, readers: Set(readers.keys)))
            }
        }
        guard !dryRun, !candidates.isEmpty else { return outcome }
        for start in stride(from: 0, to: candidates.count, by: 200) {
            let batch = Array(candidates[start..<min(start + 200, candidates.count)])
            let audit = AuditEvent(
                at: now, action: .compact, deviceID: nil, adviser: nil, team: nil,
                detail: "stable versions: text bases and tombstone content dropped")
            let applied = try await storage.applyServerWrite(keys: batch.map(\.key), audit: audit) {
                index, state, _ in
                // Only the version found stable: a push since then made a newer one, left for the next run.
                guard let state, state.readers == batch[index].readers else {
                    return MergeStep(newBody: nil, outcome: false)
                }
                let record = try WireCoding.decode(Record.self, from: state.body)
                guard record.clock == batch[index].clock else { return MergeStep(newBody: nil, outcome: false) }
                let compacted = record.compacted(stableClock: record.clock)
                guard compacted != record else { return MergeStep(newBody: nil, outcome: false) }
                // Routed as the record was, so its readers stay the same.
                return MergeStep(
                    newBody: try WireCoding.encode(compacted),
                    routing: SyncService.routing(of: record, scope: record.scope(home: state.home)), outcome: true)
            }
            outcome.compacted += applied.outcomes.count { $0 }
        }
        return outcome
    }
}
