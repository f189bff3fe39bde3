import Foundation
import SyncProtocol

/// Who received a young person's records, and when (GDPR art. 15: "who has read about me?"), from the audit.
///
/// The report finds the subjects with a pseudonymous reference (or an id), their notes, and every audit entry
/// naming one of them: pushes and pulls (which team, adviser and device received or wrote them, and when), and
/// the ends of access. It names records by id only, never their content.
public struct AccessReport: Sendable, Hashable, Codable {
    /// One line of the report.
    public struct Entry: Sendable, Hashable, Codable {
        /// When it happened.
        public var at: Date
        /// `pull` (a device received records), `push` (a device wrote them), `remove` (a team's access ended),
        /// `expire` (the server ended an access that came due), `purge` (the server purged them under a retention
        /// rule).
        public var action: String
        /// The team concerned.
        public var team: String?
        /// The adviser whose device acted.
        public var adviser: String?
        /// The device that acted.
        public var device: String?
        /// How many of the young person's records the entry names.
        public var records: Int
    }

    /// The subjects found (ids; more than one when duplicates exist).
    public var subjects: [String]
    /// How many notes are about them.
    public var notes: Int
    /// The audit entries, oldest first.
    public var entries: [Entry]

    /// Builds the report for `subject` (a reference such as `ung-0142`, or a subject id).
    public static func make(subject: String, storage: any SyncStorage) async throws -> AccessReport {
        var ids: [String] = []
        for (key, body, _) in try await storage.records(inCollection: ScopeFields.subjects) {
            guard let record = try? WireCoding.decode(Record.self, from: body) else { continue }
            if key.id == subject || record.value("reference") == .string(subject) { ids.append(key.id) }
        }
        var keys = Set(ids.map { RecordKey(collection: ScopeFields.subjects, id: $0).description })
        var notes = 0
        for id in ids {
            let about = try await storage.notes(aboutSubject: id)
            notes += about.count
            keys.formUnion(about.map(\.description))
        }
        let events = try await storage.auditEvents(touching: keys)
        let entries = events.filter { $0.outcome == "ok" }.map { event in
            Entry(
                at: event.at, action: event.action.rawValue, team: event.team, adviser: event.adviser,
                device: event.deviceID, records: event.recordIDs.count { keys.contains($0) })
        }
        return AccessReport(subjects: ids, notes: notes, entries: entries)
    }
}
