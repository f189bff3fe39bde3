extension Record {
    /// Checks the invariants every well-formed state satisfies, whatever its schema: valid
    /// names and ids, bounded clock, every dot seen by the clock (the state is causally closed),
    /// at most one live write per replica in each register, tag and presence set, no content
    /// in a purged record, values within ``ProtocolLimits``. Decoding runs it, so a server can
    /// answer `400` for a malformed record instead of merging it.
    public func validateStructure() throws(ModelError) {
        guard Names.isValidName(collection) else { throw .invalidCollectionName(collection) }
        guard Names.isValidRecordID(id) else { throw .invalidRecordID(id) }
        guard clock.entries.count <= ProtocolLimits.maxClockEntries else {
            throw .tooManyClockEntries(clock.entries.count)
        }
        for counter in clock.entries.values where counter > ProtocolLimits.maxCounter {
            throw .counterTooLarge(counter)
        }
        guard registers.count + tagSets.count <= ProtocolLimits.maxFields else {
            throw .malformedRecord(record: id, reason: "more than \(ProtocolLimits.maxFields) fields")
        }
        if let purge = purgedBy {
            try checkSeen(purge)
            guard registers.isEmpty, tagSets.isEmpty, presence.isEmpty else {
                throw .malformedRecord(record: id, reason: "a purged record holds content")
            }
            return
        }
        if clock.isEmpty {
            guard registers.isEmpty, tagSets.isEmpty, presence.isEmpty else {
                throw .malformedRecord(record: id, reason: "content without a clock")
            }
            return
        }
        guard !presence.isEmpty else {
            throw .malformedRecord(record: id, reason: "a written record has no presence entry")
        }
        try checkDistinctReplicas(presence.keys, field: "presence")
        for dot in presence.keys { try checkSeen(dot) }
        for (name, writes) in registers {
            guard Names.isValidName(name) else { throw .invalidFieldName(name) }
            guard !writes.isEmpty, zip(writes, writes.dropFirst()).allSatisfy({ $0.dot < $1.dot }) else {
                throw .malformedRecord(record: id, reason: "writes of '\(name)' are empty or unsorted")
            }
            try checkDistinctReplicas(writes.lazy.map(\.dot), field: name)
            for write in writes {
                try checkSeen(write.dot)
                if case .tags = write.value {
                    throw .malformedRecord(record: id, reason: "register '\(name)' holds tags")
                }
                try write.value.checkLimits(field: name)
                if let base = write.base {
                    guard write.value.textValue != nil else {
                        throw .malformedRecord(record: id, reason: "non-text write of '\(name)' has a base")
                    }
                    guard base.utf8.count <= ProtocolLimits.maxValueBytes else {
                        throw .valueTooLarge(field: name, bytes: base.utf8.count)
                    }
                }
            }
        }
        for (name, elements) in tagSets {
            guard Names.isValidName(name) else { throw .invalidFieldName(name) }
            guard registers[name] == nil else {
                throw .malformedRecord(record: id, reason: "'\(name)' is both a register and a tag set")
            }
            guard !elements.isEmpty else {
                throw .malformedRecord(record: id, reason: "tag field '\(name)' is stored empty")
            }
            try FieldValue.tags(Set(elements.keys)).checkLimits(field: name)
            for dots in elements.values {
                guard !dots.isEmpty else {
                    throw .malformedRecord(record: id, reason: "a tag of '\(name)' has no dot")
                }
                try checkDistinctReplicas(dots, field: name)
                for dot in dots { try checkSeen(dot) }
            }
        }
    }

    private func checkSeen(_ dot: Dot) throws(ModelError) {
        guard clock.contains(dot) else { throw .dotNotInClock(record: id, dot: dot) }
    }

    private func checkDistinctReplicas<C: Collection<Dot>>(_ dots: C, field: String) throws(ModelError) {
        // One live entry is the usual case and cannot repeat a replica: no set needed (decoding runs this
        // for every field of every pulled record).
        guard dots.count > 1 else { return }
        var seen = Set<ReplicaID>()
        for dot in dots where !seen.insert(dot.replica).inserted {
            throw .duplicateReplica(record: id, field: field, replica: dot.replica)
        }
    }
}
