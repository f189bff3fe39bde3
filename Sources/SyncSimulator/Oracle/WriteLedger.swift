import SyncProtocol

/// Every local write of a run, as the oracle needs it: for each record and each slot of state (a
/// register field, one tag of a tag field, the record's presence), which dots were written with which
/// value, and which dots a later local write replaced (the writer saw them and wrote over them).
///
/// The ledger learns all this by comparing a record before and after each local action, so it does
/// not depend on how the action is implemented, nor on the merge under test.
struct WriteLedger {
    /// One slot of a record's state.
    enum Slot: Hashable, CustomStringConvertible {
        case field(String)
        case tag(field: String, tag: String)
        case presence

        var description: String {
            switch self {
            case .field(let name): name
            case .tag(let field, let tag): "\(field)[\(tag)]"
            case .presence: "presence"
            }
        }
    }

    /// What was written to one record.
    struct History {
        /// Dots written per slot, with the value (tags: `.null`; presence: `.bool(live)`).
        var added: [Slot: [Dot: FieldValue]] = [:]
        /// Dots a later local write replaced, per slot.
        var replaced: [Slot: Set<Dot>] = [:]
        /// The record's clock right after each write: what the writer had seen.
        var context: [Dot: VersionVector] = [:]
        /// The highest counter each replica wrote.
        var highest: [ReplicaID: UInt64] = [:]
        /// The join, under the protocol's merge, of every state local writes produced.
        var join: Record
        /// Whether the record was purged.
        var purged = false
        /// The device that created it (for reports).
        var alias: String
    }

    private(set) var histories: [RecordKey: History] = [:]
    private(set) var writes = 0

    /// Records one local write: `before` is the device's state before the action, `after` after it.
    mutating func record(before: Record?, after: Record, alias: String) {
        writes += 1
        var history = histories[after.key] ?? History(join: Record(collection: after.collection, id: after.id),
                                                      alias: alias)
        let old = before.map(Self.slots) ?? [:]
        let new = Self.slots(of: after)
        var written: Set<Dot> = []
        for (slot, dots) in new {
            let previous = old[slot] ?? [:]
            for (dot, value) in dots where previous[dot] == nil {
                history.added[slot, default: [:]][dot] = value
                written.insert(dot)
            }
        }
        for (slot, dots) in old {
            let current = new[slot] ?? [:]
            for dot in dots.keys where current[dot] == nil {
                history.replaced[slot, default: []].insert(dot)
            }
        }
        if let purge = after.purgedBy, before?.purgedBy == nil { written.insert(purge) }
        for dot in written {
            history.context[dot] = after.clock
            history.highest[dot.replica] = max(history.highest[dot.replica] ?? 0, dot.counter)
        }
        history.purged = history.purged || after.isPurged
        history.join = history.join.merged(with: after)
        histories[after.key] = history
    }

    /// The live dots of a record, by slot.
    static func slots(of record: Record) -> [Slot: [Dot: FieldValue]] {
        var result: [Slot: [Dot: FieldValue]] = [:]
        for (name, writes) in record.registers {
            var dots: [Dot: FieldValue] = [:]
            for write in writes { dots[write.dot] = write.value }
            result[.field(name)] = dots
        }
        for (field, elements) in record.tagSets {
            for (tag, dots) in elements {
                result[.tag(field: field, tag: tag)] = Dictionary(uniqueKeysWithValues: dots.map { ($0, .null) })
            }
        }
        if !record.presence.isEmpty {
            result[.presence] = record.presence.mapValues { .bool($0) }
        }
        return result
    }
}
