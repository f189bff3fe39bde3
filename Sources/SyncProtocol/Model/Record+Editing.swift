extension Record {
    /// Creates a record: validates `values` against `schema` (declared fields, right types,
    /// required fields present) and writes them all with the dot `replica:1`. Null values are
    /// left out.
    /// - Throws: ``ModelError`` naming the collection, id or field at fault.
    public static func create(
        collection: String, id: String, values: [String: FieldValue], by replica: ReplicaID, schema: Schema
    ) throws(ModelError) -> Record {
        guard collection == schema.collection else {
            throw .collectionMismatch(expected: schema.collection, found: collection)
        }
        guard Names.isValidRecordID(id) else { throw .invalidRecordID(id) }
        try schema.validate(values, requireAll: true)
        var record = Record(collection: collection, id: id)
        let dot = record.clock.increment(replica)
        for (name, value) in values {
            switch value {
            case .null:
                continue
            case .tags(let tags):
                if !tags.isEmpty { record.tagSets[name] = Dictionary(uniqueKeysWithValues: tags.map { ($0, [dot]) }) }
            default:
                record.registers[name] = [FieldWrite(dot: dot, value: value)]
            }
        }
        record.presence = [dot: true]
        return record
    }

    /// Writes new values. Each field whose shown value changes (or that is in conflict) gets a
    /// write with one fresh dot that covers every earlier write of it, so the new value settles
    /// everywhere. For a `.tags` value, the difference to the current tags becomes adds and
    /// removes. A text write remembers the text it replaced, for three-way merges later.
    /// Editing a deleted record restores it. Returns the record unchanged when nothing changes
    /// or when it is purged.
    public func updating(_ values: [String: FieldValue], by replica: ReplicaID) -> Record {
        write(values, by: replica, force: false)
    }

    /// ``updating(_:by:)`` after validating `values` against `schema`.
    public func updating(
        _ values: [String: FieldValue], by replica: ReplicaID, schema: Schema
    ) throws(ModelError) -> Record {
        guard collection == schema.collection else {
            throw .collectionMismatch(expected: schema.collection, found: collection)
        }
        try schema.validate(values)
        return updating(values, by: replica)
    }

    /// Adds tags to a tag field. Each named tag gets a fresh add, even if already present, so the
    /// add wins over any concurrent remove of it.
    public func addingTags(_ tags: Set<String>, to field: String, by replica: ReplicaID) -> Record {
        guard !isPurged, !tags.isEmpty else { return self }
        var record = self
        let dot = record.clock.increment(replica)
        var elements = tagSets[field] ?? [:]
        for tag in tags { elements[tag] = [dot] }
        record.tagSets[field] = elements
        record.presence = [dot: true]
        return record
    }

    /// Removes the tags this replica has seen from a tag field.
    public func removingTags(_ tags: Set<String>, from field: String, by replica: ReplicaID) -> Record {
        let current = value(field)?.tagsValue ?? []
        return updating([field: .tags(current.subtracting(tags))], by: replica)
    }

    /// Resolves a field conflict (or simply sets the field): writes `value` with a dot that
    /// covers every candidate, so every replica settles on it once they sync.
    public func resolving(field: String, with value: FieldValue, by replica: ReplicaID) -> Record {
        write([field: value], by: replica, force: true)
    }

    /// Deletes the record. It keeps its content (so a concurrent edit can bring it back, and
    /// the conflict can be shown) until compaction; see ``compacted(stableClock:)``.
    public func deleting(by replica: ReplicaID) -> Record {
        guard !isPurged else { return self }
        var record = self
        let dot = record.clock.increment(replica)
        record.presence = [dot: false]
        return record
    }

    /// Restores a deleted record.
    public func restoring(by replica: ReplicaID) -> Record {
        resolvingDeleteConflict(keep: true, by: replica)
    }

    /// Settles a delete-vs-edit conflict (or any delete state): `keep` makes the record live,
    /// otherwise it is deleted; the new presence dot covers every earlier one.
    public func resolvingDeleteConflict(keep: Bool, by replica: ReplicaID) -> Record {
        guard !isPurged else { return self }
        var record = self
        let dot = record.clock.increment(replica)
        record.presence = [dot: keep]
        return record
    }

    /// Purges the record (legal erasure): drops every value, keeps only the clock and the purge
    /// marker. A purged record never regains content: the marker wins every merge.
    public func purging(by replica: ReplicaID) -> Record {
        var record = self
        let dot = record.clock.increment(replica)
        record.purgedBy = Swift.min(purgedBy ?? dot, dot)
        record.registers = [:]
        record.tagSets = [:]
        record.presence = [:]
        return record
    }

    private func write(_ values: [String: FieldValue], by replica: ReplicaID, force: Bool) -> Record {
        guard !isPurged else { return self }
        var record = self
        let dot = Dot(replica: replica, counter: clock[replica] + 1)
        var changed = false
        for name in values.keys.sortedByBytes() {
            let newValue = values[name]!
            if case .tags(let wanted) = newValue {
                changed = record.writeTags(wanted, field: name, dot: dot) || changed
                continue
            }
            let current = registers[name] ?? []
            let conflicted = current.count > 1 && Record.resolve(current) == nil
            let shown = current.isEmpty ? FieldValue.null : (Record.resolve(current) ?? .null)
            if !force && !conflicted && shown == newValue { continue }
            // The base lets a later concurrent text edit merge three-way with this one.
            let base = (conflicted || newValue.textValue == nil) ? nil : shown.textValue
            record.registers[name] = [FieldWrite(dot: dot, value: newValue, base: base)]
            changed = true
        }
        guard changed else { return self }
        record.clock.increment(replica)
        record.presence = [dot: true]
        return record
    }

    /// Makes the tag field hold exactly `wanted`: new tags get `dot`, missing ones are removed
    /// (only the adds this replica has seen: a concurrent add survives).
    private mutating func writeTags(_ wanted: Set<String>, field: String, dot: Dot) -> Bool {
        var elements = tagSets[field] ?? [:]
        let current = Set(elements.keys)
        guard current != wanted else { return false }
        for tag in wanted.subtracting(current) { elements[tag] = [dot] }
        for tag in current.subtracting(wanted) { elements[tag] = nil }
        tagSets[field] = elements.isEmpty ? nil : elements
        return true
    }
}
