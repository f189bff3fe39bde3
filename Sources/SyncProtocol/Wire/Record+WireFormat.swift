/// The record's wire form (merge.md, "Record state"), written and read without `Codable` containers:
///
/// ```json
/// {"c":"notes","i":"n1","v":{"k3v9q2m7x1ab":2,"p7hx4c2n9wqe":1},
///  "w":[{"d":"0:1","s":{"kind":"walk","subject":{"ref":"y-417"}},"t":{"tags":["housing"]}},
///       {"b":{"body":[5]},"d":"0:2","s":{"body":{"text":"Met.\nCall Friday.\n"}}},
///       {"d":"1:1","s":{"place":"Job centre"}}]}
/// ```
///
/// `c` collection, `i` id, `v` clock, `w` write groups (`d` dot, `s` values set, `b` bases of text
/// values, `t` tags added), `p` presence, `x` purge dot. A dot is written `"index:counter"`, where
/// `index` is the position of its replica in the clock (entries in byte order of the replica id).
/// `p` is left out when presence is "the latest write of every replica in the clock is live".
extension Record {
    /// Writes the record's canonical JSON.
    func write(to writer: inout JSONWriter) {
        let entries = clock.entries.sorted { $0.key < $1.key }
        let replicas = entries.map(\.key)
        // A clock has a handful of entries: finding a replica's index by a linear look beats hashing.
        func dotText(_ dot: Dot) -> String {
            String(replicas.firstIndex(of: dot.replica)!) + ":" + String(dot.counter)
        }

        writer.rawKey("{\"c\"")
        writer.string(collection)
        writer.raw(",\"i\":")
        writer.string(id)
        if !presence.isEmpty, !presenceIsImplied {
            writer.raw(",\"p\":{")
            let presenceEntries = presence.map { (dotText($0.key), $0.value) }
                .sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            for (index, entry) in presenceEntries.enumerated() {
                if index > 0 { writer.comma() }
                writer.key(entry.0)
                writer.bool(entry.1)
            }
            writer.byte(UInt8(ascii: "}"))
        }
        writer.raw(",\"v\":{")
        for (index, entry) in entries.enumerated() {
            if index > 0 { writer.comma() }
            writer.key(entry.key.rawValue)
            writer.integer(entry.value)
        }
        writer.byte(UInt8(ascii: "}"))
        let groups = writeGroups()
        if !groups.isEmpty {
            writer.raw(",\"w\":[")
            for (index, group) in groups.enumerated() {
                if index > 0 { writer.comma() }
                group.write(to: &writer, dot: dotText(group.dot))
            }
            writer.byte(UInt8(ascii: "]"))
        }
        if let purgedBy {
            writer.raw(",\"x\":")
            writer.string(dotText(purgedBy))
        }
        writer.byte(UInt8(ascii: "}"))
    }

    /// Whether presence is exactly "the latest dot of every replica in the clock, live", the state after
    /// any edit or merge of concurrent edits, which the wire form leaves out. (A purged or empty record
    /// has no presence, and leaves `p` out too.)
    var presenceIsImplied: Bool {
        guard purgedBy == nil, presence.count == clock.entries.count else { return false }
        for (dot, live) in presence where !live || clock[dot.replica] != dot.counter { return false }
        return true
    }

    /// The presence a record without `p` has.
    static func impliedPresence(clock: VersionVector, purged: Bool) -> [Dot: Bool] {
        guard !purged else { return [:] }
        var presence: [Dot: Bool] = [:]
        presence.reserveCapacity(clock.entries.count)
        for (replica, counter) in clock.entries { presence[Dot(replica: replica, counter: counter)] = true }
        return presence
    }

    /// One group per dot: the register writes, bases and tag adds that carry it, in dot order.
    ///
    /// Built by sorting flat lists rather than through a dictionary keyed by dot: a record has a few
    /// dozen entries at most, and hashing dots cost more than the sort.
    func writeGroups() -> [WireWriteGroup] {
        var writes: [(name: String, write: FieldWrite)] = []
        for (name, list) in registers {
            for write in list { writes.append((name, write)) }
        }
        writes.sort {
            $0.write.dot != $1.write.dot
                ? $0.write.dot < $1.write.dot : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
        }
        var adds: [(dot: Dot, name: String, tag: String)] = []
        for (name, elements) in tagSets {
            for (tag, dots) in elements {
                for dot in dots { adds.append((dot, name, tag)) }
            }
        }
        adds.sort { $0.dot < $1.dot }
        var groups: [WireWriteGroup] = []
        var writeIndex = 0
        var addIndex = 0
        while writeIndex < writes.count || addIndex < adds.count {
            let dot: Dot
            if writeIndex < writes.count, addIndex < adds.count {
                dot = min(writes[writeIndex].write.dot, adds[addIndex].dot)
            } else {
                dot = writeIndex < writes.count ? writes[writeIndex].write.dot : adds[addIndex].dot
            }
            var group = WireWriteGroup(dot: dot)
            while writeIndex < writes.count, writes[writeIndex].write.dot == dot {
                group.set.append(writes[writeIndex])
                writeIndex += 1
            }
            while addIndex < adds.count, adds[addIndex].dot == dot {
                group.tags[adds[addIndex].name, default: []].append(adds[addIndex].tag)
                addIndex += 1
            }
            groups.append(group)
        }
        return groups
    }
}

/// The writes of one operation, as a record's `w` array holds them.
struct WireWriteGroup {
    var dot: Dot
    var set: [(name: String, write: FieldWrite)] = []
    var tags: [String: [String]] = [:]

    init(dot: Dot) {
        self.dot = dot
    }

    func write(to writer: inout JSONWriter, dot text: String) {
        let fields = set  // already in name order (see writeGroups())
        var first = true
        writer.byte(UInt8(ascii: "{"))
        for (name, write) in fields {
            guard let base = write.base, let value = write.value.textValue else { continue }
            writer.raw(first ? "\"b\":{" : ",")
            first = false
            writer.key(name)
            BasePatch(text: value, base: base).write(to: &writer)
        }
        if !first { writer.raw("},") }
        writer.rawKey("\"d\"")
        writer.string(text)
        if !fields.isEmpty {
            writer.raw(",\"s\":{")
            for (index, field) in fields.enumerated() {
                if index > 0 { writer.comma() }
                writer.key(field.name)
                field.write.value.write(to: &writer)
            }
            writer.byte(UInt8(ascii: "}"))
        }
        if !tags.isEmpty {
            writer.raw(",\"t\":{")
            for (index, name) in tags.keys.sortedByBytes().enumerated() {
                if index > 0 { writer.comma() }
                writer.key(name)
                writer.byte(UInt8(ascii: "["))
                for (position, tag) in tags[name]!.sortedByBytes().enumerated() {
                    if position > 0 { writer.comma() }
                    writer.string(tag)
                }
                writer.byte(UInt8(ascii: "]"))
            }
            writer.byte(UInt8(ascii: "}"))
        }
        writer.byte(UInt8(ascii: "}"))
    }
}

extension BasePatch {
    /// Writes the shortest spelling: `[prefix]`, `[prefix,suffix]` or `[prefix,suffix,"middle"]`.
    func write(to writer: inout JSONWriter) {
        writer.byte(UInt8(ascii: "["))
        writer.integer(prefix)
        if elementCount > 1 {
            writer.comma()
            writer.integer(suffix)
        }
        if elementCount > 2 {
            writer.comma()
            writer.string(middle)
        }
        writer.byte(UInt8(ascii: "]"))
    }

    static func scan(_ scanner: inout JSONScanner) throws(WireScanError) -> BasePatch {
        try scanner.beginArray()
        var numbers: [Int64] = []
        var middle: String?
        var count = 0
        while try scanner.nextElement(first: count == 0) {
            scanner.push(.index(count))
            switch count {
            case 0, 1: numbers.append(try scanner.readInteger())
            case 2: middle = try scanner.readString()
            default: throw scanner.failure(.invalidValue, "a base is [prefix, suffix, middle]")
            }
            scanner.pop()
            count += 1
        }
        guard count > 0, numbers.allSatisfy({ $0 >= 0 && $0 <= Int64(ProtocolLimits.maxValueBytes) }) else {
            throw scanner.failure(.invalidValue, "a base is [prefix, suffix, middle] with counts in range")
        }
        let patch = BasePatch(
            prefix: Int(numbers[0]), suffix: numbers.count > 1 ? Int(numbers[1]) : 0, middle: middle ?? "")
        guard patch.isShortest(count: count) else {
            throw scanner.failure(.invalidValue, "a base patch leaves out an empty middle and a zero suffix")
        }
        return patch
    }
}
