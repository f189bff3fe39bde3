extension Record {
    /// The value a UI shows for `field`, or `nil` when it is absent, cleared, or the record is purged.
    ///
    /// A deterministic function of the state, so every replica shows the same:
    /// - one live write: its value;
    /// - several live writes with equal values: that value;
    /// - several concurrent text writes from the same known base that merge cleanly (three-way,
    ///   folded in dot order): the merged text, and no conflict;
    /// - otherwise the field is in conflict (see ``conflicts``) and this returns the value of the
    ///   candidate with the highest counter (ties: highest replica id), a stable placeholder
    ///   until someone resolves it. Every candidate stays in the state.
    /// - tag fields: the set of live tags (`nil` when empty).
    public func value(_ field: String) -> FieldValue? {
        if isPurged { return nil }
        if let elements = tagSets[field] {
            return elements.isEmpty ? nil : .tags(Set(elements.keys))
        }
        guard let writes = registers[field], !writes.isEmpty else { return nil }
        let shown = Record.resolve(writes) ?? Record.placeholder(writes)
        return shown == .null ? nil : shown
    }

    /// Every field's shown value (fields without a value are left out).
    public var values: [String: FieldValue] {
        var result: [String: FieldValue] = [:]
        for name in fieldNames {
            if let value = value(name) { result[name] = value }
        }
        return result
    }

    /// What only a person can decide: field conflicts (every candidate with its dot) and a
    /// delete-vs-edit conflict, fields in byte order, the delete conflict last.
    public var conflicts: [Conflict] {
        if isPurged { return [] }
        var result: [Conflict] = []
        for name in registers.keys.sortedByBytes() {
            let writes = registers[name]!
            if writes.count > 1 && Record.resolve(writes) == nil {
                result.append(.field(name: name, candidates: writes))
            }
        }
        let deletes = presence.filter { !$0.value }.keys.sorted()
        let edits = presence.filter { $0.value }.keys.sorted()
        if !deletes.isEmpty && !edits.isEmpty {
            result.append(.deleteVersusEdit(deletes: deletes, edits: edits))
        }
        return result
    }

    /// Whether ``conflicts`` is not empty.
    public var isInConflict: Bool {
        if isPurged { return false }
        if presence.values.contains(true) && presence.values.contains(false) { return true }
        return registers.values.contains { $0.count > 1 && Record.resolve($0) == nil }
    }

    /// ``isInConflict`` with the text merges it needs paid from `budget`; `nil` when the budget ran
    /// out before the answer was known (a server bounds the merge work of one request this way).
    public func isInConflict(spending budget: inout ThreeWayMerge.Budget) -> Bool? {
        if isPurged { return false }
        if presence.values.contains(true) && presence.values.contains(false) { return true }
        var metered: ThreeWayMerge.Budget? = budget
        defer { budget = metered! }
        for name in registers.keys.sortedByBytes() {
            guard let writes = registers[name], writes.count > 1 else { continue }
            let refusals = metered!.refusals
            if Record.resolve(writes, budget: &metered) == nil {
                return metered!.refusals > refusals ? nil : true
            }
        }
        return false
    }

    /// Whether `field` is a register with concurrent writes that do not merge.
    public func isInConflict(field: String) -> Bool {
        guard !isPurged, let writes = registers[field], writes.count > 1 else { return false }
        return Record.resolve(writes) == nil
    }

    /// The value of live writes when they agree or merge cleanly, `nil` when they conflict.
    static func resolve(_ writes: [FieldWrite]) -> FieldValue? {
        var unlimited: ThreeWayMerge.Budget? = nil
        return resolve(writes, budget: &unlimited)
    }

    /// ``resolve(_:)`` with its text merges paid from `budget` (`nil` when it runs out, too).
    static func resolve(_ writes: [FieldWrite], budget: inout ThreeWayMerge.Budget?) -> FieldValue? {
        guard let first = writes.first else { return nil }
        if writes.count == 1 || writes.allSatisfy({ $0.value == first.value }) { return first.value }
        // Concurrent text edits of the same known base: fold a three-way merge in dot order.
        guard let base = first.base, case .text(var merged) = first.value else { return nil }
        for write in writes.dropFirst() {
            guard write.base == base, case .text(let theirs) = write.value,
                let next = ThreeWayMerge.merge(base: base, ours: merged, theirs: theirs, budget: &budget)
            else { return nil }
            merged = next
        }
        return .text(merged)
    }

    /// The candidate a UI shows while a field is in conflict.
    static func placeholder(_ writes: [FieldWrite]) -> FieldValue {
        writes.max { ($0.dot.counter, $0.dot.replica) < ($1.dot.counter, $1.dot.replica) }!.value
    }
}
