/// The identity of a record across replicas: its collection and its id.
///
/// Written `collection/id` in logs and error messages, e.g. `notes/01J9Z3K7QF`.
public struct RecordKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The record's collection.
    public var collection: String
    /// The record's id within its collection.
    public var id: String

    /// Creates a key.
    public init(collection: String, id: String) {
        self.collection = collection
        self.id = id
    }

    /// `collection/id`, e.g. `notes/01J9Z3K7QF`.
    public var description: String { "\(collection)/\(id)" }

    /// Byte order of the collection, then of the id, the same on every platform.
    public static func < (lhs: RecordKey, rhs: RecordKey) -> Bool {
        if lhs.collection != rhs.collection {
            return lhs.collection.utf8.lexicographicallyPrecedes(rhs.collection.utf8)
        }
        return lhs.id.utf8.lexicographicallyPrecedes(rhs.id.utf8)
    }
}

extension Record {
    /// The record's identity: its collection and id.
    public var key: RecordKey { RecordKey(collection: collection, id: id) }
}
