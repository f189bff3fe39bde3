import Foundation

/// Protocol version 2: who may read a record (README §14, merge.md "Scopes").
///
/// A record's **scope** is the set of teams named in its `scope` tag field, or, while the field names no
/// team, the record's **home** team (the team it was first pushed to). Its **readers** are the teams that
/// receive it: a subject's readers are its scope; a note's readers are its scope within its subject's
/// scope, so a team that leaves a young person's course stops reading every note about them at once.
extension Record {
    /// The teams the record's `scope` field names (none for a record written before version 2).
    public var scopeTeams: Set<String> { tagSets[ScopeFields.scope].map { Set($0.keys) } ?? [] }

    /// The record's scope: the teams its `scope` field names, or `home` when it names none.
    public func scope(home: String) -> Set<String> {
        let named = scopeTeams
        return named.isEmpty ? [home] : named
    }

    /// The teams the young person agreed to share their course with (a subject's `consent` field).
    public var consentTeams: Set<String> { tagSets[ScopeFields.consent].map { Set($0.keys) } ?? [] }

    /// When teams' access to a subject ends (its `accessEnds` field); entries that do not parse are left out
    /// (a server refuses them, see ``ScopeRule/check(_:)``).
    public var accessEnds: [AccessEnd] {
        (tagSets[ScopeFields.accessEnds]?.keys).map { $0.compactMap(AccessEnd.init(tag:)).sorted() } ?? []
    }

    /// The subject a note is about (its `subject` reference), `nil` for other records or a conflicted value.
    public var subjectID: String? {
        guard collection == ScopeFields.notes, case .reference(let id) = value("subject") else { return nil }
        return id
    }

    /// Whether a client of `version` can decode the record: version 1 knows none of the fields version 2
    /// added (``Schemas/fieldsSinceVersion2``).
    public func isRepresentable(inVersion version: Int) -> Bool {
        guard version < 2, let added = Schemas.fieldsSinceVersion2[collection] else { return true }
        return registers.keys.allSatisfy { !added.contains($0) } && tagSets.keys.allSatisfy { !added.contains($0) }
    }
}

/// Field and collection names the scope rules read.
public enum ScopeFields {
    /// The tag field naming the teams that read a record (its scope).
    public static let scope = "scope"
    /// The tag field naming the teams a young person agreed to share their course with (subjects).
    public static let consent = "consent"
    /// The text field logging each consent given or withdrawn (subjects).
    public static let consentLog = "consentLog"
    /// The tag field of ``AccessEnd`` entries, `TEAM@YYYY-MM-DD` (subjects).
    public static let accessEnds = "accessEnds"
    /// The reference field of a subject folded into another: the id of the subject it was merged into.
    public static let mergedInto = "mergedInto"
    /// The collection of young people's courses.
    public static let subjects = "subjects"
    /// The collection of notes.
    public static let notes = "notes"
}

/// One entry of a subject's `accessEnds` field, `TEAM@YYYY-MM-DD`: from that day (UTC) on, the team no
/// longer reads the subject; the server removes it from the scope then.
public struct AccessEnd: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The team whose access ends.
    public var team: String
    /// The first day (UTC) without access, as `YYYY-MM-DD`.
    public var day: String

    /// Creates an entry; `nil` unless `team` is an identifier and `day` a valid `YYYY-MM-DD`.
    public init?(team: String, day: String) {
        guard WireLimits.isValidIdentifier(team), !team.contains("@"), AccessEnd.date(of: day) != nil else {
            return nil
        }
        self.team = team
        self.day = day
    }

    /// Parses `TEAM@YYYY-MM-DD`.
    public init?(tag: String) {
        guard let at = tag.lastIndex(of: "@") else { return nil }
        self.init(team: String(tag[..<at]), day: String(tag[tag.index(after: at)...]))
    }

    /// The entry as it is stored in the tag field.
    public var tag: String { "\(team)@\(day)" }

    /// The tag form, `TEAM@YYYY-MM-DD`.
    public var description: String { tag }

    /// The moment access ends: midnight UTC at the start of ``day``.
    public var date: Date { AccessEnd.date(of: day)! }

    /// Whether access has ended at `now`.
    public func hasEnded(at now: Date) -> Bool { now >= date }

    /// Orders by day, then team.
    public static func < (lhs: AccessEnd, rhs: AccessEnd) -> Bool { (lhs.day, lhs.team) < (rhs.day, rhs.team) }

    static func date(of day: String) -> Date? {
        let parts = day.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let dayOfMonth = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(dayOfMonth)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: dayOfMonth)
        guard let date = calendar.date(from: components),
            calendar.component(.day, from: date) == dayOfMonth
        else { return nil }
        return date
    }
}
