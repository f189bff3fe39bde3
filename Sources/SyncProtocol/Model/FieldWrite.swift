/// One live write of a register field: its dot, the value written and, for text, the text it
/// replaced (its base), which a three-way merge of concurrent edits needs.
public struct FieldWrite: Hashable, Sendable {
    /// The write's dot.
    public var dot: Dot
    /// The value written (``FieldValue/null`` when the field was cleared).
    public var value: FieldValue
    /// For text writes: the text shown when the write was made, if known. `nil` when the field
    /// was empty or in conflict before, or after compaction dropped it.
    public var base: String?

    /// Creates a write.
    public init(dot: Dot, value: FieldValue, base: String? = nil) {
        self.dot = dot
        self.value = value
        self.base = base
    }
}
