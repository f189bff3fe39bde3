/// Something only a person can decide, shown by ``Record/conflicts``.
public enum Conflict: Hashable, Sendable {
    /// Concurrent writes of one field that do not merge: every candidate, in dot order, with the
    /// dot that names who wrote it. Resolve with ``Record/resolving(field:with:by:)``.
    case field(name: String, candidates: [FieldWrite])
    /// The record was deleted on one replica while another edited it; the edit survives and the
    /// record stays live until someone decides.
    /// Resolve with ``Record/resolvingDeleteConflict(keep:by:)``.
    case deleteVersusEdit(deletes: [Dot], edits: [Dot])

    /// The field's name for a field conflict, `nil` for a delete-vs-edit conflict.
    public var fieldName: String? {
        if case .field(let name, _) = self { name } else { nil }
    }
}
