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
        }
    }

    /// The record the action touches.
    var key: RecordKey {
        switch self {
        case .addSubject(let id, _, _, _, _): RecordKey(collection: Schemas.subjects.collection, id: id)
        case .addNote(let id, _, _, _): RecordKey(collection: Schemas.notes.collection, id: id)
        case .editBody(let key, _), .retag(let key, _, _), .followUp(let key, _), .editSubject(let key, _, _, _, _),
            .deleteNote(let key), .resolveField(let key, _, _, _), .resolveDeletion(let key, _), .purge(let key):
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

/// What a local action did: the record before and after (nil after when nothing changed).
struct LocalWrite: Sendable {
    var before: Record?
    var after: Record?
}

/// A local action that could not be done (the record is gone, the store refused).
struct LocalActionRefused: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
