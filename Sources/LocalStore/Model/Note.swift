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
    /// The subject: its reference, or its id or a unique id prefix. A reference that names duplicates throws
    /// ``LocalStoreError/duplicateSubject(ids:)``.
    public var subjectReference: String
    /// The type of encounter.
    public var kind: NoteKind
    /// When the encounter happened; now unless given.
    public var occurredAt: Date
    /// Where it happened (free text).
    public var place: String
    /// The text: agreements, observations, next step.
    public var body: String
    /// Free tags: one word each, stored lowercased.
    public var tags: [String]
    /// A due date for the next contact, if any.
    public var followUp: Date?

    /// Creates the values of a new note: it happened now, with no place, tags or follow-up unless given.
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
    /// The new type of encounter.
    public var kind: NoteKind?
    /// The new time of the encounter.
    public var occurredAt: Date?
    /// The new place.
    public var place: String?
    /// The new text, replacing the whole body (see `bodyBase`).
    public var body: String?
    /// The text `body` was edited from, when the edit took a while (an editor session without the store open):
    /// a change of the text that came in meanwhile (a sync in another terminal) is then merged line by line
    /// with this edit instead of being overwritten. Edits of the same lines throw
    /// ``LocalStoreError/changedMeanwhile(id:current:)``.
    public var bodyBase: String?
    /// Text appended to the body on a new paragraph (applied after `body`).
    public var append: String?
    /// Tags to add (lowercased); a tag both added and removed stays.
    public var addTags: [String]
    /// Tags to remove.
    public var removeTags: [String]
    /// `.some(nil)` clears the follow-up.
    public var followUp: Date??

    /// Creates a change of the given fields; every other field stays as it is.
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
    /// Only notes about this subject (reference, id or id prefix); its duplicates and the subjects merged into it
    /// included.
    public var subjectReference: String?
    /// Only notes with this tag (case-insensitive).
    public var tag: String?
    /// Only notes of this kind.
    public var kind: NoteKind?
    /// Only notes that happened at or after this time.
    public var since: Date?
    /// Only notes that happened at or before this time.
    public var until: Date?
    /// At most this many notes.
    public var limit: Int?

    /// Creates a filter; every `nil` criterion matches every note.
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
    /// The note that matched.
    public var note: Note
    /// A few words around the match, the matched words in `[` `]`.
    public var excerpt: String
}

/// A follow-up that is due or overdue.
public struct FollowUp: Codable, Equatable, Sendable {
    /// The note that asked for the follow-up.
    public var note: Note
    /// When the follow-up is due: the note's ``Note/followUp``, or for a handover when it was written.
    public var due: Date
    /// Whole days between the due day and today; 0 when due today or later.
    public var daysOverdue: Int
    /// A subject handed over to this adviser and not taken up yet: `note` is the handover note, due at once
    /// (``LocalStore/handoversToMe()``).
    public var handover: Bool = false
}
