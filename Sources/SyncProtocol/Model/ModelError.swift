/// Why a value, a record or a schema check was rejected.
///
/// Every case names what was wrong and where (never the offending value: messages reach logs and other
/// parties, README §7), so a server can answer `400` with a useful
/// message and a client can tell which record and field are at fault.
public enum ModelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A replica id that is empty, too long or has characters outside `[A-Za-z0-9_-]`.
    case invalidReplicaID(String)
    /// A dot that is not `"replica:counter"` with a counter in `1...maxCounter`.
    case invalidDot(String)
    /// A clock with more entries than ``ProtocolLimits/maxClockEntries``.
    case tooManyClockEntries(Int)
    /// A counter above ``ProtocolLimits/maxCounter``.
    case counterTooLarge(UInt64)
    /// A collection name that is not `[a-z][A-Za-z0-9_]{0,63}`.
    case invalidCollectionName(String)
    /// A record id that is empty, longer than 64 bytes or has characters outside `[A-Za-z0-9_-]`.
    case invalidRecordID(String)
    /// A field name that is not `[a-z][A-Za-z0-9_]{0,63}`.
    case invalidFieldName(String)
    /// A decimal that is not `-?digits[.digits]`.
    case invalidDecimal(String)
    /// A text or string value larger than ``ProtocolLimits/maxValueBytes``.
    case valueTooLarge(field: String, bytes: Int)
    /// A tag that is empty or longer than ``ProtocolLimits/maxTagBytes``.
    case invalidTag(field: String, tag: String)
    /// A record's collection differs from the schema or the other record's.
    case collectionMismatch(expected: String, found: String)
    /// Two records with different ids were merged.
    case recordMismatch(expected: String, found: String)
    /// A field the schema does not declare.
    case unknownField(collection: String, field: String)
    /// A value of the wrong type for its field.
    case wrongType(collection: String, field: String, expected: FieldType, found: FieldType)
    /// A required field that is missing or null at creation.
    case missingRequiredField(collection: String, field: String)
    /// The same field name declared twice in a schema.
    case duplicateField(collection: String, field: String)
    /// A record whose state mentions a dot its clock has not seen (the state is not causally closed).
    case dotNotInClock(record: String, dot: Dot)
    /// Two live writes of the same replica in one register, tag or presence set: impossible in a
    /// well-formed state, because a replica's later write always covers its earlier ones.
    case duplicateReplica(record: String, field: String, replica: ReplicaID)
    /// A structurally invalid record (e.g. a tag set stored as a register).
    case malformedRecord(record: String, reason: String)
    /// An operation that a purged record no longer allows.
    case recordPurged(record: String)

    /// What is wrong, for logs and error bodies.
    public var description: String {
        switch self {
        case .invalidReplicaID: "invalid replica id"
        case .invalidDot: "invalid dot"
        case .tooManyClockEntries(let count):
            "clock has \(count) entries, limit \(ProtocolLimits.maxClockEntries)"
        case .counterTooLarge: "counter above \(ProtocolLimits.maxCounter)"
        case .invalidCollectionName: "invalid collection name"
        case .invalidRecordID: "invalid record id (1-64 bytes of [A-Za-z0-9._:-])"
        case .invalidFieldName: "invalid field name"
        case .invalidDecimal: "invalid decimal"
        case .valueTooLarge(let field, let bytes):
            "value of '\(field)' has \(bytes) bytes, limit \(ProtocolLimits.maxValueBytes)"
        case .invalidTag(let field, _): "invalid tag in '\(field)' (1-\(ProtocolLimits.maxTagBytes) bytes)"
        case .collectionMismatch(let expected, _): "not a record of collection '\(expected)'"
        case .recordMismatch(let expected, _): "not record '\(expected)'"
        case .unknownField(let collection, let field): "'\(collection)' has no field '\(field)'"
        case .wrongType(let collection, let field, let expected, let found):
            "'\(collection).\(field)' is \(expected.rawValue), got \(found.rawValue)"
        case .missingRequiredField(let collection, let field): "'\(collection).\(field)' is required"
        case .duplicateField(let collection, let field): "'\(collection)' declares '\(field)' twice"
        case .dotNotInClock(let record, let dot): "record '\(record)': dot \(dot) is not in its clock"
        case .duplicateReplica(let record, let field, let replica):
            "record '\(record)': two live writes of \(replica) in '\(field)'"
        case .malformedRecord(let record, let reason): "record '\(record)': \(reason)"
        case .recordPurged(let record): "record '\(record)' is purged"
        }
    }
}
