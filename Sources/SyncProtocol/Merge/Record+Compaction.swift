extension Record {
    /// The fields a compacted tombstone keeps: those that decide who reads it (protocol README §14) and where a
    /// folded subject went. No content: references, team ids and days.
    public static let routingFields: Set<String> = [
        ScopeFields.scope, ScopeFields.consent, ScopeFields.accessEnds, ScopeFields.mergedInto, "subject",
    ]

    /// Drops metadata that no future merge can need, given `stableClock`: a clock of this record
    /// that every replica still able to write it is known to have seen (for example the
    /// entry-wise minimum of the clocks all enrolled devices have pushed; see `merge.md`).
    ///
    /// - A text write that is the only live write of its field and is stable loses its base:
    ///   no concurrent edit of it can appear any more.
    /// - A deleted record (no delete-vs-edit conflict) whose whole clock is stable loses its
    ///   content: every replica has seen the delete, so only a deliberate restore could still
    ///   touch it, and that restore starts from an empty record. The tombstone (clock, presence)
    ///   stays, so stale copies cannot resurrect it, and so does what decides who reads it
    ///   (``routingFields``): its readers do not change by compaction.
    ///
    /// Compaction removes entries the clock covers, so the compacted state wins every merge with
    /// an uncompacted copy and replicas converge whether or not they compacted.
    public func compacted(stableClock: VersionVector) -> Record {
        guard !isPurged else { return self }
        var record = self
        if isDeleted && stableClock.dominates(clock) {
            // A subject folded into another keeps where it went (merge.md, "Duplicate subjects"): notes written
            // to it later are still shown under the kept subject. A note keeps its subject and every record its
            // scope fields, so the tombstone is read by the same teams as before.
            record.registers = registers.filter { Self.routingFields.contains($0.key) }
            record.tagSets = tagSets.filter { Self.routingFields.contains($0.key) }
            return record
        }
        for (name, writes) in registers where writes.count == 1 && writes[0].base != nil {
            if stableClock.contains(writes[0].dot) { record.registers[name]![0].base = nil }
        }
        return record
    }
}
