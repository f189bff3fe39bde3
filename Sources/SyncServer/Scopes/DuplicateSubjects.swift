import Foundation
import SyncProtocol

/// Young people who have two subjects in one team: two advisers each created the same pseudonymous reference
/// offline (merge.md, "Duplicate subjects"). Devices show them after a pull; this is the server's view, for the
/// administrator: which teams have which subject ids to merge (`fieldcli subject merge KEEP OTHER`).
public struct DuplicateSubjects: Sendable, Hashable, Codable {
    /// Subjects of one team sharing one reference.
    public struct Group: Sendable, Hashable, Codable {
        /// A team that reads all of them.
        public var team: String
        /// Their ids, in byte order (the reference itself is not named: ids are enough to merge).
        public var subjects: [String]
    }

    /// The groups, by team, then first id.
    public var groups: [Group]

    /// Finds the duplicates among the stored subjects: live subjects not folded into another (no `mergedInto`),
    /// with the same `reference`, read by the same team.
    public static func find(in storage: any SyncStorage) async throws -> DuplicateSubjects {
        var byTeamAndReference: [String: [String: [String]]] = [:]
        for (key, body, scope) in try await storage.records(inCollection: ScopeFields.subjects) {
            guard let record = try? WireCoding.decode(Record.self, from: body), !record.isDeleted,
                record.value(ScopeFields.mergedInto) == nil, case .string(let reference)? = record.value("reference")
            else { continue }
            for team in scope { byTeamAndReference[team, default: [:]][reference, default: []].append(key.id) }
        }
        var groups: [Group] = []
        for (team, references) in byTeamAndReference {
            for ids in references.values where ids.count > 1 {
                groups.append(Group(team: team, subjects: ids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }))
            }
        }
        groups.sort { ($0.team, $0.subjects[0]) < ($1.team, $1.subjects[0]) }
        return DuplicateSubjects(groups: groups)
    }
}
