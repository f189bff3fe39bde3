/// One record of a collection, with everything needed to merge it with any other version of
/// itself: a state-based CRDT.
///
/// The state:
/// - `clock`: the record's version vector, the causal context of everything below.
/// - register fields: per field, the live writes (multi-value register); several live writes
///   mean concurrent edits.
/// - tag fields: per tag, the dots of the adds that are still live (add-wins observed-remove set).
/// - presence: the dots of the latest operations, each saying "live" (an edit) or "deleted";
///   a delete concurrent with an edit leaves both, and the record stays live and shows a conflict.
/// - `purgedBy`: the purge marker; a purged record holds no content and never regains any.
///
/// Every operation takes the replica that performs it and returns a new value with a fresh dot
/// `clock[replica] + 1`. ``merged(with:)`` is commutative, associative and idempotent.
///
/// ```swift
/// var note = try Record.create(collection: "notes", id: UUID().uuidString, values: [
///     "subject": .reference("y-417"), "kind": .string("walk"), "body": .text("Met at the station.\n"),
/// ], by: laptop, schema: Schemas.notes)
/// let onPhone = note.updating(["kind": .string("phone")], by: phone)
/// note = note.updating(["body": .text("Met at the station.\nAgreed: visit the school.\n")], by: laptop)
/// let both = note.merged(with: onPhone)      // kind from the phone, body from the laptop
/// ```
public struct Record: Hashable, Sendable {
    /// The collection the record belongs to.
    public let collection: String
    /// The record's id, random and created offline.
    public let id: String
    /// The record's version vector: every write this state has seen.
    public internal(set) var clock: VersionVector
    /// Register fields: the live writes of each field, sorted by dot, never empty.
    public internal(set) var registers: [String: [FieldWrite]]
    /// Tag fields: for each tag present, the dots of its live adds.
    public internal(set) var tagSets: [String: [String: Set<Dot>]]
    /// The dots of the latest operations: `true` for an edit (the record lives),
    /// `false` for a delete.
    public internal(set) var presence: [Dot: Bool]
    /// The dot of the purge, if the record was purged (the smallest, if purged concurrently).
    public internal(set) var purgedBy: Dot?

    /// The empty state of a record nobody has written yet: the identity of ``merged(with:)``.
    public init(collection: String, id: String) {
        self.collection = collection
        self.id = id
        clock = VersionVector()
        registers = [:]
        tagSets = [:]
        presence = [:]
        purgedBy = nil
    }

    /// Whether nothing was ever written (the state made by ``init(collection:id:)``).
    public var isEmpty: Bool { clock.isEmpty }

    /// Whether the record was purged: it holds no content, forever.
    public var isPurged: Bool { purgedBy != nil }

    /// Whether the record is deleted (or purged). A delete concurrent with an edit does not
    /// delete: the edit survives and ``conflicts`` shows a delete-vs-edit conflict.
    public var isDeleted: Bool {
        isPurged || (!presence.isEmpty && !presence.values.contains(true))
    }

    /// The names of the fields that hold any state, in byte order.
    public var fieldNames: [String] {
        Set(registers.keys).union(tagSets.keys).sortedByBytes()
    }

    /// The live writes of a register field, in dot order (empty if none).
    public func writes(of field: String) -> [FieldWrite] {
        registers[field] ?? []
    }
}
