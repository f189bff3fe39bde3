/// The type of a field, declared by a ``Schema``; it decides how concurrent writes merge.
public enum FieldType: String, Hashable, Sendable, Codable, CaseIterable {
    /// Long text, edited line by line; concurrent edits are merged three-way when they do not overlap.
    case text
    /// A short string (a name, a status); concurrent writes are a conflict.
    case string
    /// A signed 64-bit integer, limited to ±(2^53 - 1) so every JSON parser reads it exactly.
    case integer
    /// An exact decimal number, carried as its canonical string (see ``ExactDecimal``).
    case decimal
    /// True or false.
    case bool
    /// An instant in UTC with millisecond precision (see ``Timestamp``).
    case timestamp
    /// A set of short strings, merged as an add-wins observed-remove set: never a conflict.
    case tags
    /// The id of another record.
    case reference

    /// Whether fields of this type are multi-value registers (every type except ``tags``).
    public var isRegister: Bool { self != .tags }
}
