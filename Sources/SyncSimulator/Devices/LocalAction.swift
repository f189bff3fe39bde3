import SyncProtocol

/// What a person does on a device, independent of the store behind it.
enum LocalAction: Sendable {
    /// A new young person in the adviser's caseload (setup).
    case addSubject(id: String, reference: String, adviser: String, status: String, nextStep: String)
    /// A new note about a subject.
    case addNote(id: String, subject: RecordKey, reference: String, note: NoteDraft)
    /// A new body text for a note.
    case editBody(RecordKey, String)
    /// Tags added to and removed from a note.
    case retag(RecordKey, add: [String], remove: [String])
    /// A follow-up date set or cleared.
    case followUp(RecordKey, Timestamp?)
    /// Subject fields changed (status, next step, who holds the ball).
    case editSubject(RecordKey, reference: String, status: String?, nextStep: String?, responsible: String?)
    /// A note deleted.
    case deleteNote(RecordKey)
    /// A field conflict settled by a person: a candidate by index, or a text written by hand.
    case resolveField(RecordKey, field: String, candidate: Int, manualText: String?)
    /// A delete-versus-edit conflict settled.
    case resolveDeletion(RecordKey, keep: Bool)
    /// A legal erasure.
    case purge(RecordKey)
    /// A subject shared with a partner team, with the young person's consent (version 2).
    case shareSubject(RecordKey, reference: String, team: String, ownTeam: String)
    /// A subject no longer shared with a team: out of its scope and consent, and of its notes' scopes.
    case unshareSubject(RecordKey, reference: String, team: String)
    /// A note shared with a team that reads its subject.
    case shareNote(RecordKey, team: String, ownTeam: String)
    /// A note's scope narrowed to the own team (undoing a share the server refused).
    case narrowNote(RecordKey, ownTeam: String)
    /// A young person's course handed over to an adviser of another team: a handover note, the responsible
    /// adviser, the receiving team's consent and scope, and the own team's access ended at once or on `endsOn`.
    case handover(
        RecordKey, reference: String, adviser: String, team: String, ownTeam: String, noteID: String,
        note: String, endsOn: String?)

    /// A short name for the event log and the summary.
    var kind: String {
        switch self {
        case .addSubject: "add-subject"
        case .addNote: "add-note"
        case .editBody: "edit-body"
        case .retag: "retag"
        case .followUp: "follow-up"
        case .editSubject: "edit-subject"
        case .deleteNote: "delete"
        case .resolveField: "resolve"
        case .resolveDeletion: "resolve-delete"
        case .purge: "purge"
        case .shareSubject: "share-subject"
        case .unshareSubject: "unshare-subject"
        case .shareNote: "share-note"
        case .narrowNote: "narrow-note"
        case .handover(_, _, _, _, _, _, _, let endsOn): endsOn == nil ? "handover" : "handover-overlap"
        }
    }

    /// Whether this is a scope action of version 2 (sharing, handover).
    var isScopeAction: Bool {
        switch self {
        case .shareSubject, .unshareSubject, .shareNote, .narrowNote, .handover: true
        default: false
        }
    }

    /// Whether the action creates its record (LocalStore picks the id then).
    var createsRecord: Bool {
        switch self {
        case .addSubject, .addNote: true
        default: false
        }
    }

    /// The record the action touches.
    var key: RecordKey {
        switch self {
        case .addSubject(let id, _, _, _, _): RecordKey(collection: Schemas.subjects.collection, id: id)
        case .addNote(let id, _, _, _): RecordKey(collection: Schemas.notes.collection, id: id)
        case .editBody(let key, _), .retag(let key, _, _), .followUp(let key, _), .editSubject(let key, _, _, _, _),
            .deleteNote(let key), .resolveField(let key, _, _, _), .resolveDeletion(let key, _), .purge(let key),
            .shareSubject(let key, _, _, _), .unshareSubject(let key, _, _), .shareNote(let key, _, _),
            .narrowNote(let key, _), .handover(let key, _, _, _, _, _, _, _):
            key
        }
    }
}

/// The values of a new note.
struct NoteDraft: Sendable {
    var kind: String
    var occurredAt: Timestamp
    var place: String
    var body: String
    var tags: [String]
    var followUp: Timestamp?
}

/// What a local action did: the record before and after (nil after when nothing changed), and the other
/// records the same action wrote (a handover's note, the notes an unshare narrows), in the order written.
struct LocalWrite: Sendable {
    var before: Record?
    var after: Record?
    var others: [(before: Record?, after: Record)] = []
}

/// A local action that could not be done (the record is gone, the store refused).
struct LocalActionRefused: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
