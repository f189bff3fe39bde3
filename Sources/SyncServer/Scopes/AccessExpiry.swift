import Foundation
import SyncProtocol

/// Ends teams' access to subjects when their `accessEnds` day comes (a handover's overlap, README §14.5).
///
/// The server writes the change itself, as a replica: it removes the team from the subject's `scope` and the
/// entry from `accessEnds`, with its own dots, and routes the result like a push, so the team's devices are told
/// to drop the subject and every note about it on their next pull, and every other reader receives the change.
public struct AccessExpiry: Sendable {
    let storage: any SyncStorage

    /// Creates the expiry over a storage backend.
    public init(storage: any SyncStorage) {
        self.storage = storage
    }

    /// What one run did.
    public struct Outcome: Sendable, Hashable {
        /// Subjects changed.
        public var subjects: Int
        /// Access entries that ended.
        public var ended: Int
    }

    /// Ends every access due at `now`.
    @discardableResult
    public func run(now: Date = Date()) async throws -> Outcome {
        let keys = try await storage.subjectsWithAccessEnding(onOrBefore: Self.day(of: now))
        guard !keys.isEmpty else { return Outcome(subjects: 0, ended: 0) }
        let replica = try ReplicaID(try await storage.serverReplica())
        let audit = AuditEvent(
            at: now, action: .expire, deviceID: nil, adviser: nil, team: nil, detail: "access ends due")
        let applied = try await storage.applyServerWrite(keys: keys, audit: audit) { _, state, _ in
            guard let state else { return MergeStep(newBody: nil, outcome: 0) }
            let record = try WireCoding.decode(Record.self, from: state.body)
            let ended = record.accessEnds.filter { $0.hasEnded(at: now) }
            guard !ended.isEmpty, !record.isPurged else { return MergeStep(newBody: nil, outcome: 0) }
            var updated = record
            let teams = Set(ended.map(\.team)).intersection(record.scopeTeams)
            if !teams.isEmpty { updated = updated.removingTags(teams, from: ScopeFields.scope, by: replica) }
            updated = updated.removingTags(Set(ended.map(\.tag)), from: ScopeFields.accessEnds, by: replica)
            return MergeStep(
                newBody: try WireCoding.encode(updated),
                routing: SyncService.routing(of: updated, scope: updated.scope(home: state.home)),
                outcome: ended.count)
        }
        return Outcome(subjects: applied.written, ended: applied.outcomes.reduce(0, +))
    }

    /// `YYYY-MM-DD` of `date` in UTC.
    static func day(of date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
