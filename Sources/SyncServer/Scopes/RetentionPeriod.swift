import Foundation

/// How long a young person's course stays after it closed: a number of years, months or days (`5y`, `18m`, `90d`).
///
/// ```swift
/// let period = try RetentionPeriod(parsing: "5y")
/// period.start(before: Date())   // five calendar years before now (UTC): courses closed before it are due
/// ```
public struct RetentionPeriod: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The unit of a period.
    public enum Unit: String, Sendable, Hashable, Codable, CaseIterable {
        /// Calendar years.
        case years = "y"
        /// Calendar months.
        case months = "m"
        /// Days.
        case days = "d"
    }

    /// How many units.
    public var count: Int
    /// Years, months or days.
    public var unit: Unit

    /// The largest count accepted, so a typo cannot ask for a period no calendar can subtract.
    public static let maximumCount = 9_999

    /// Creates a period of `count` (1 … 9999) units.
    public init(count: Int, unit: Unit) throws(RetentionError) {
        guard (1...Self.maximumCount).contains(count) else {
            throw .invalidPeriod("\(count)\(unit.rawValue)")
        }
        self.count = count
        self.unit = unit
    }

    /// Parses `5y`, `18m` or `90d`: a whole number from 1 to 9999 and one of `y`, `m`, `d`, nothing else.
    public init(parsing text: String) throws(RetentionError) {
        guard let last = text.last, let unit = Unit(rawValue: String(last)) else { throw .invalidPeriod(text) }
        let digits = text.dropLast()
        guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy({ ("0"..."9").contains($0) }),
            digits.first != "0", let count = Int(digits)
        else { throw .invalidPeriod(text) }
        try self.init(count: count, unit: unit)
    }

    /// `5y`, `18m` or `90d`: the form it parses from, and how rules are stored and shown.
    public var description: String { "\(count)\(unit.rawValue)" }

    /// The instant `self` before `date`, in the UTC calendar (a month before 31 March is the end of February).
    public func start(before date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let component: Calendar.Component =
            switch unit {
            case .years: .year
            case .months: .month
            case .days: .day
            }
        return calendar.date(byAdding: component, value: -count, to: date) ?? .distantPast
    }

    /// Decodes the text form (`5y`), refusing anything ``init(parsing:)`` refuses.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try Self(parsing: text)
    }

    /// Encodes the text form, e.g. `5y`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why a retention rule cannot be used; each description is one line for the administrator.
public enum RetentionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A period that is not a whole number of years, months or days.
    case invalidPeriod(String)
    /// A stored rule of a team that does not parse (written by a newer server).
    case invalidStoredRule(team: String, period: String)

    /// One line for the administrator, naming the period or the team.
    public var description: String {
        switch self {
        case .invalidPeriod(let text):
            "invalid period '\(text)': expected 1 to 9999 years, months or days, such as 5y, 18m or 90d"
        case .invalidStoredRule(let team, let period):
            "the stored retention rule of team '\(team)' ('\(period)') is not a period this server understands"
        }
    }
}

/// A team's saved retention rule: `serve` purges the team's courses closed longer than `closedAfter`, daily.
public struct RetentionRule: Sendable, Hashable, Codable {
    /// The team whose subjects the rule covers.
    public var team: String
    /// How long a closed course stays.
    public var closedAfter: RetentionPeriod
    /// When the rule was saved.
    public var savedAt: Date

    /// Creates a rule.
    public init(team: String, closedAfter: RetentionPeriod, savedAt: Date) {
        self.team = team
        self.closedAfter = closedAfter
        self.savedAt = savedAt
    }
}

/// A subject the server stores with a closed course (``RecordRouting/closedCourse``).
public struct ClosedSubject: Sendable, Hashable {
    /// The subject's id.
    public var id: String
    /// The teams reading it.
    public var readers: Set<String>
    /// When the server first stored it closed (the write that closed it reached the server), or, for a subject
    /// already closed when the server was upgraded to retention, the time of that upgrade.
    public var closedAt: Date

    /// Creates a closed subject.
    public init(id: String, readers: Set<String>, closedAt: Date) {
        self.id = id
        self.readers = readers
        self.closedAt = closedAt
    }
}
