extension Record {
    /// Merges two versions of the same record (same collection and id).
    ///
    /// The join of a state-based CRDT: commutative, associative and idempotent, so replicas
    /// that receive versions in any order, twice, or late, converge. For every set of dotted
    /// entries (register writes, tag adds, presence), an entry survives when both sides hold it,
    /// or when one side holds it and the other side's clock has not seen its dot. An entry that
    /// one side holds and the other has seen but dropped was overwritten or removed there, so it
    /// goes. A purge on either side wins: the result is purged and empty.
    ///
    /// - Precondition: `other` has the same collection and id. Use ``checkedMerge(with:)`` for
    ///   untrusted input.
    public func merged(with other: Record) -> Record {
        precondition(collection == other.collection && id == other.id, "merging different records")
        if self == other { return self }
        var result = Record(collection: collection, id: id)
        result.clock = clock.merging(other.clock)
        switch (purgedBy, other.purgedBy) {
        case (let mine?, let theirs?): result.purgedBy = Swift.min(mine, theirs)
        case (let mine?, nil): result.purgedBy = mine
        case (nil, let theirs?): result.purgedBy = theirs
        case (nil, nil): break
        }
        if result.isPurged { return result }

        for name in Set(registers.keys).union(other.registers.keys) {
            let writes = Record.join(
                registers[name] ?? [], clock, other.registers[name] ?? [], other.clock
            )
            if !writes.isEmpty { result.registers[name] = writes }
        }
        for name in Set(tagSets.keys).union(other.tagSets.keys) {
            let mine = tagSets[name] ?? [:]
            let theirs = other.tagSets[name] ?? [:]
            var elements: [String: Set<Dot>] = [:]
            for tag in Set(mine.keys).union(theirs.keys) {
                let dots = Record.join(mine[tag] ?? [], clock, theirs[tag] ?? [], other.clock)
                if !dots.isEmpty { elements[tag] = dots }
            }
            if !elements.isEmpty { result.tagSets[name] = elements }
        }
        for (dot, live) in presence where other.presence[dot] != nil || !other.clock.contains(dot) {
            // Same dot, different flag cannot happen in a valid state; OR keeps the join commutative.
            result.presence[dot] = live || (other.presence[dot] ?? false)
        }
        for (dot, live) in other.presence where presence[dot] == nil && !clock.contains(dot) {
            result.presence[dot] = live
        }
        return result
    }

    /// ``merged(with:)`` for untrusted input: checks the collection and id first.
    /// - Throws: ``ModelError/collectionMismatch(expected:found:)`` or
    ///   ``ModelError/recordMismatch(expected:found:)``.
    public func checkedMerge(with other: Record) throws(ModelError) -> Record {
        guard collection == other.collection else {
            throw .collectionMismatch(expected: collection, found: other.collection)
        }
        guard id == other.id else { throw .recordMismatch(expected: id, found: other.id) }
        return merged(with: other)
    }

    /// How this version relates to `other` (by their clocks).
    public func compare(_ other: Record) -> CausalOrder {
        clock.compare(other.clock)
    }

    /// The join of two sets of dots under their clocks.
    static func join(
        _ mine: Set<Dot>, _ myClock: VersionVector, _ theirs: Set<Dot>, _ theirClock: VersionVector
    )
        -> Set<Dot>
    {
        mine.intersection(theirs)
            .union(mine.subtracting(theirs).filter { !theirClock.contains($0) })
            .union(theirs.subtracting(mine).filter { !myClock.contains($0) })
    }

    /// The join of two multi-value registers (writes sorted by dot) under their clocks.
    static func join(
        _ mine: [FieldWrite], _ myClock: VersionVector, _ theirs: [FieldWrite], _ theirClock: VersionVector
    ) -> [FieldWrite] {
        var result: [FieldWrite] = []
        var i = 0
        var j = 0
        while i < mine.count || j < theirs.count {
            if j == theirs.count || (i < mine.count && mine[i].dot < theirs[j].dot) {
                if !theirClock.contains(mine[i].dot) { result.append(mine[i]) }
                i += 1
            } else if i == mine.count || theirs[j].dot < mine[i].dot {
                if !myClock.contains(theirs[j].dot) { result.append(theirs[j]) }
                j += 1
            } else {
                result.append(combine(mine[i], theirs[j]))
                i += 1
                j += 1
            }
        }
        return result
    }

    /// Both sides hold the same write; they differ only if one side compacted its base away.
    private static func combine(_ a: FieldWrite, _ b: FieldWrite) -> FieldWrite {
        if a == b { return a }
        // A dropped base stays dropped (nil absorbs), so the choice is order-independent.
        var write = a
        write.base = a.base == b.base ? a.base : nil
        if a.value != b.value {
            // Impossible in valid states (one dot, one value); pick by a total order anyway.
            write.value = String(describing: a.value) <= String(describing: b.value) ? a.value : b.value
        }
        return write
    }
}
