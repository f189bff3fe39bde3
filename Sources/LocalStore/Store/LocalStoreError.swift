import Foundation

/// A failure of the local store that a caller can act on.
///
/// Each case says what went wrong in terms a person can act on; the CLI maps every case to one line on
/// stderr and a documented exit code.
public enum LocalStoreError: Error, Equatable, Sendable {
    /// The passphrase does not unlock the store. Nothing on disk was changed.
    case wrongPassphrase
    /// A file of the store failed authentication or is malformed: it is damaged or was tampered with.
    case damaged(String)
    /// There is no store at this location.
    case storeMissing(URL)
    /// A store already exists at this location.
    case storeAlreadyExists(URL)
    /// Another process has the store open.
    case lockedByAnotherProcess(URL)
    /// The store is closed; open it again.
    case closed
    /// A record, subject or note with this id (or unique id prefix) does not exist.
    case notFound(kind: String, id: String)
    /// An id prefix matches more than one record.
    case ambiguousID(prefix: String, matches: [String])
    /// A value given by the caller is not acceptable.
    case invalidInput(String)
    /// A reference names several subjects (duplicates created on different devices, merge.md "Duplicate
    /// subjects"), and the operation needs one: merge them first, or name one by its id. `ids` in byte order.
    case duplicateSubject(ids: [String])
    /// The text of a note changed while it was being edited (a sync in another terminal), on the same lines as
    /// the edit: nothing was saved. `current` is the note's text now, for the person to merge with their edit.
    case changedMeanwhile(id: String, current: String)
    /// The disk is full: the change was rolled back and nothing of it was saved. What was stored before is intact.
    case diskFull
    /// An I/O or cryptographic failure that is none of the above.
    case io(String)
}

extension LocalStoreError: LocalizedError {
    /// One line for a person: what went wrong and, where there is one, what to do about it.
    public var errorDescription: String? {
        switch self {
        case .wrongPassphrase:
            return "wrong passphrase: the store was not unlocked and nothing was changed"
        case .damaged(let detail):
            return "the store is damaged or has been tampered with (\(detail))"
        case .storeMissing(let url):
            return "no store at \(url.path) (create one with 'fieldcli init')"
        case .storeAlreadyExists(let url):
            return "a store already exists at \(url.path)"
        case .lockedByAnotherProcess(let url):
            return "the store at \(url.path) is in use by another process"
        case .closed:
            return "the store is closed"
        case .notFound(let kind, let id):
            return "no \(kind) with id '\(id)'"
        case .ambiguousID(let prefix, let matches):
            return "id prefix '\(prefix)' is ambiguous: it matches \(matches.prefix(5).joined(separator: ", "))"
        case .invalidInput(let message):
            return message
        case .duplicateSubject(let ids):
            // Ids only: the reference is what the person typed, and this line may end up in a log.
            let short = ids.map { String($0.prefix(8)) }
            return "this reference names \(ids.count) subjects (duplicates from different devices); merge them "
                + "first with 'fieldcli subject merge \(short.prefix(2).joined(separator: " "))', "
                + "or name one by its id (\(short.joined(separator: ", ")))"
        case .changedMeanwhile(let id, _):
            return "note \(id.prefix(8)) changed on the same lines while it was being edited; nothing saved"
        case .diskFull:
            return "the disk is full: nothing was saved (what was saved before is intact); "
                + "free some space and try again"
        case .io(let message):
            return message
        }
    }
}
