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
        var history =
            histories[after.key]
            ?? History(
                join: Record(collection: after.collection, id: after.id),
                alias: alias)
        var written: Set<Dot> = []
        // Compare slot by slot without building maps of the whole record: this runs on every write.
        let empty = Record(collection: after.collection, id: after.id)
        let old = before ?? empty
        for name in Set(old.registers.keys).union(after.registers.keys) {
            let previous = old.registers[name] ?? []
            let current = after.registers[name] ?? []
            for write in current where !previous.contains(where: { $0.dot == write.dot }) {
                history.added[.field(name), default: [:]][write.dot] = write.value
                written.insert(write.dot)
            }
            for write in previous where !current.contains(where: { $0.dot == write.dot }) {
                history.replaced[.field(name), default: []].insert(write.dot)
            }
        }
        for field in Set(old.tagSets.keys).union(after.tagSets.keys) {
            let previous = old.tagSets[field] ?? [:]
            let current = after.tagSets[field] ?? [:]
            for tag in Set(previous.keys).union(current.keys) {
                let slot = Slot.tag(field: field, tag: tag)
                let was = previous[tag] ?? []
                let now = current[tag] ?? []
                for dot in now.subtracting(was) {
                    history.added[slot, default: [:]][dot] = .null
                    written.insert(dot)
                }
                for dot in was.subtracting(now) { history.replaced[slot, default: []].insert(dot) }
            }
        }
        for (dot, live) in after.presence where old.presence[dot] == nil {
            history.added[.presence, default: [:]][dot] = .bool(live)
            written.insert(dot)
        }
        for dot in old.presence.keys where after.presence[dot] == nil {
            history.replaced[.presence, default: []].insert(dot)
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
