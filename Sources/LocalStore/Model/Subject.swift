import Foundation

/// A young person's course, under a pseudonymous reference (never a civil registration number).
public struct Subject: Codable, Equatable, Sendable {
    /// The record id (random, created offline).
    public var id: String
    /// The pseudonymous reference advisers use, e.g. `ung-0142`.
    public var reference: String
    /// A name to show; may be a first name or a nickname.
    public var displayName: String
    /// Where the course stands.
    public var status: SubjectStatus
    /// The adviser who "holds the ball"; responsibility lies in one place at a time.
    public var responsibleAdviser: String
    /// Whether the young person's consent has been recorded.
    public var consentRecorded: Bool
    /// When consent was recorded.
    public var consentAt: Date?
    /// Sub-goals of the course.
    public var goals: String
    /// The agreed next step.
    public var nextStep: String
    /// Whether a concurrent edit left a conflict a person must resolve.
    public var hasConflict: Bool
    /// When this device last changed or received the record.
    public var updatedAt: Date
    /// The teams that read the course (its scope, protocol version 2), sorted; empty while only its home team
    /// (the team it was first synced with) reads it.
    public var scope: [String] = []
    /// The teams the young person agreed to share the course with, sorted.
    public var consent: [String] = []
    /// One line per consent given or withdrawn: who recorded it, when, for which team, to what.
    public var consentLog: String = ""
    /// When teams' access ends, as `TEAM@YYYY-MM-DD` (from that UTC day on), sorted by day.
    public var accessEnds: [String] = []
    /// The ids of other subjects with the same reference: duplicates created on different devices, to be merged
    /// (`fieldcli subject merge KEEP OTHER`). Empty for a subject read by id alone.
    public var duplicates: [String] = []
}

/// The values of a new subject.
public struct NewSubject: Sendable {
    /// The pseudonymous reference advisers use, e.g. `ung-0142`; never a civil registration number.
    public var reference: String
    /// A name to show; the reference unless given.
    public var displayName: String
    /// Where the course stands.
    public var status: SubjectStatus
    /// The adviser who holds the ball; `nil` for the store's own adviser.
    public var responsibleAdviser: String?
    /// Whether the young person's consent has been recorded (its time is recorded with it).
    public var consentRecorded: Bool
    /// Sub-goals of the course.
    public var goals: String
    /// The agreed next step.
    public var nextStep: String

    /// Creates the values of a new subject; the responsible adviser defaults to the store's adviser.
    public init(
        reference: String, displayName: String? = nil, status: SubjectStatus = .notEducationReady,
        responsibleAdviser: String? = nil, consentRecorded: Bool = false, goals: String = "", nextStep: String = ""
    ) {
        self.reference = reference
        self.displayName = displayName ?? reference
        self.status = status
        self.responsibleAdviser = responsibleAdviser
        self.consentRecorded = consentRecorded
        self.goals = goals
        self.nextStep = nextStep
    }
}

/// Changes to a subject; `nil` leaves a field as it is.
public struct SubjectChanges: Sendable {
    /// The new name to show.
    public var displayName: String?
    /// The new status.
    public var status: SubjectStatus?
    /// The new responsible adviser.
    public var responsibleAdviser: String?
    /// Whether consent is recorded; setting it records the time, clearing it clears the time.
    public var consentRecorded: Bool?
    /// The new sub-goals.
    public var goals: String?
    /// The new next step.
    public var nextStep: String?

    /// Creates a change of the given fields; every other field stays as it is.
    public init(
        displayName: String? = nil, status: SubjectStatus? = nil, responsibleAdviser: String? = nil,
        consentRecorded: Bool? = nil, goals: String? = nil, nextStep: String? = nil
    ) {
        self.displayName = displayName
        self.status = status
        self.responsibleAdviser = responsibleAdviser
        self.consentRecorded = consentRecorded
        self.goals = goals
        self.nextStep = nextStep
    }

    /// Whether nothing would change.
    public var isEmpty: Bool {
        displayName == nil && status == nil && responsibleAdviser == nil && consentRecorded == nil
            && goals == nil && nextStep == nil
    }
}
