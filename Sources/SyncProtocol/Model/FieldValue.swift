/// The value of one field.
///
/// ```swift
/// let values: [String: FieldValue] = [
///     "body": .text("Walked past the vocational school.\nNext: call on Friday.\n"),
///     "kind": .string("walk"),
///     "tags": .tags(["education-ready"]),
///     "occurredAt": .timestamp(Timestamp(Date())),
/// ]
/// ```
///
/// Canonical JSON: `null`; strings, integers and booleans bare (`"walk"`, `42`, `true`); the other
/// types as an object with exactly one key naming the type: `{"text":"..."}`, `{"dec":"12.5"}`,
/// `{"time":1795000000000}` (epoch milliseconds), `{"tags":["a","b"]}` (sorted by UTF-8 bytes,
/// no duplicates), `{"ref":"record-id"}`. See `protocol-spec/merge.md`, "Field values".
public enum FieldValue: Hashable, Sendable {
    /// Long, line-mergeable text.
    case text(String)
    /// A short string.
    case string(String)
    /// An integer within ±(2^53 - 1).
    case integer(Int64)
    /// An exact decimal.
    case decimal(ExactDecimal)
    /// A boolean.
    case bool(Bool)
    /// A UTC instant with millisecond precision.
    case timestamp(Timestamp)
    /// A set of tags.
    case tags(Set<String>)
    /// The id of another record.
    case reference(String)
    /// No value: the field is absent or was cleared.
    case null

    /// The type of the value, or `nil` for ``null``.
    public var type: FieldType? {
        switch self {
        case .text: .text
        case .string: .string
        case .integer: .integer
        case .decimal: .decimal
        case .bool: .bool
        case .timestamp: .timestamp
        case .tags: .tags
        case .reference: .reference
        case .null: nil
        }
    }

    /// Whether the value is ``null``.
    public var isNull: Bool { self == .null }

    /// The text of a ``text(_:)`` value.
    public var textValue: String? {
        if case .text(let text) = self { text } else { nil }
    }

    /// The string of a ``text(_:)``, ``string(_:)`` or ``reference(_:)`` value.
    public var stringValue: String? {
        switch self {
        case .text(let text), .string(let text), .reference(let text): text
        default: nil
        }
    }

    /// The tags of a ``tags(_:)`` value.
    public var tagsValue: Set<String>? {
        if case .tags(let tags) = self { tags } else { nil }
    }

    /// The largest integer value allowed (2^53 - 1).
    public static let maxInteger: Int64 = (1 << 53) - 1
}
