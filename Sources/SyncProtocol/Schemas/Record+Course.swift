extension Record {
    /// Whether this is a subject whose course is closed: its `status` is one of ``Schemas/closingStatuses``
    /// and not in conflict (a status two advisers set differently, one of them open, leaves the course open
    /// until someone resolves it). Purged records and other collections are never closed courses.
    public var hasClosedCourse: Bool {
        guard collection == Schemas.subjects.collection, !isInConflict(field: "status"),
            case .string(let status)? = value("status")
        else { return false }
        return Schemas.closingStatuses.contains(status)
    }
}
