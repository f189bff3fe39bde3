import Foundation

/// A note an adviser wrote about an encounter with a young person.
public struct Note: Codable, Equatable, Sendable {
    /// The record id (random, created offline).
    public var id: String
    /// The subject's record id.
    public var subjectID: String
    /// The subject's pseudonymous reference, for display.
    public var subjectReference: String
    /// The type of encounter.
    public var kind: NoteKind
    /// When the encounter happened.
    public var occurredAt: Date
    /// Where it happened (free text).
    public var place: String
    /// The text: agreements, observations, next step.
    public var body: String
    /// Free tags, sorted.
    public var tags: [String]
    /// A due date for the next contact.
    public var followUp: Date?
    /// Who wrote it.
    public var author: String
    /// On which device it was written.
    public var device: String
    /// Whether a concurrent edit left a conflict a person must resolve.
    public var hasConflict: Bool
    /// When this device last changed or received the note.
    public var updatedAt: Date
}

/// The values of a new note.
public struct NewNote: Sendable {
    public var subjectReference: String
    public var kind: NoteKind
    public var occurredAt: Date
    public var place: String
    public var body: String
    public var tags: [String]
    public var followUp: Date?

    public init(
        subjectReference: String, kind: NoteKind, occurredAt: Date = Date(), place: String = "", body: String,
        tags: [String] = [], followUp: Date? = nil
    ) {
        self.subjectReference = subjectReference
        self.kind = kind
        self.occurredAt = occurredAt
        self.place = place
        self.body = body
        self.tags = tags
        self.followUp = followUp
    }
}

/// Changes to a note; `nil` leaves a field as it is.
public struct NoteChanges: Sendable {
    public var kind: NoteKind?
    public var occurredAt: Date?
    public var place: String?
    public var body: String?
    /// The text `body` was edited from, when the edit took a while (an editor session without the store open):
    /// a change of the text that came in meanwhile (a sync in another terminal) is then merged line by line
    /// with this edit instead of being overwritten. Edits of the same lines throw
    /// ``LocalStoreError/changedMeanwhile(id:current:)``.
    public var bodyBase: String?
    /// Text appended to the body on a new paragraph (applied after `body`).
    public var append: String?
    public var addTags: [String]
    public var removeTags: [String]
    /// `.some(nil)` clears the follow-up.
    public var followUp: Date??

    public init(
        kind: NoteKind? = nil, occurredAt: Date? = nil, place: String? = nil, body: String? = nil,
        append: String? = nil, addTags: [String] = [], removeTags: [String] = [], followUp: Date?? = nil
    ) {
        self.kind = kind
        self.occurredAt = occurredAt
        self.place = place
        self.body = body
        self.append = append
        self.addTags = addTags
        self.removeTags = removeTags
        self.followUp = followUp
    }

    /// Whether nothing would change.
    public var isEmpty: Bool {
        kind == nil && occurredAt == nil && place == nil && body == nil && append == nil && addTags.isEmpty
            && removeTags.isEmpty && followUp == nil
    }
}

/// A filter for listing notes. Empty filters list every note, newest first.
public struct NoteQuery: Sendable {
    public var subjectReference: String?
    public var tag: String?
    public var kind: NoteKind?
    public var since: Date?
    public var until: Date?
    public var limit: Int?

    public init(
        subjectReference: String? = nil, tag: String? = nil, kind: NoteKind? = nil, since: Date? = nil,
        until: Date? = nil, limit: Int? = nil
    ) {
        self.subjectReference = subjectReference
        self.tag = tag
        self.kind = kind
        self.since = since
        self.until = until
        self.limit = limit
    }
}

/// A search hit: the note and a short excerpt around the match.
public struct SearchHit: Codable, Equatable, Sendable {
    public var note: Note
    public var excerpt: String
}

/// A follow-up that is due or overdue.
public struct FollowUp: Codable, Equatable, Sendable {
    public var note: Note
    public var due: Date
    public var daysOverdue: Int
    /// A subject handed over to this adviser and not taken up yet: `note` is the handover note, due at once
    /// (``LocalStore/handoversToMe()``).
    public var handover: Bool = false
}
