/// A record's JSON is its wire form (merge.md, "Record state"; `Record+WireFormat.swift`):
///
/// ```json
/// {"c":"notes","i":"0f8c...","v":{"lap":2},
///  "w":[{"d":"0:1","s":{"kind":"walk","subject":{"ref":"y-417"}},"t":{"tags":["housing"]}},
///       {"b":{"body":[5]},"d":"0:2","s":{"body":{"text":"Met.\nCall Friday.\n"}}}]}
/// ```
///
/// Encoding through any `Encoder` gives the same structure as ``WireCoding`` (with sorted keys, the same
/// bytes). Decoding from any `Decoder` runs the one wire reader, so every rule (unknown keys refused,
/// canonical base patches, ``validateStructure()``) holds however a record is stored; its errors are
/// reported with their path by ``WireCoding``.
extension Record: Codable {
    private enum Key: String, CodingKey {
        case collection = "c", id = "i", presence = "p", clock = "v", writes = "w", purged = "x"
    }

    private enum GroupKey: String, CodingKey {
        case bases = "b", dot = "d", set = "s", tags = "t"
    }

    /// Decodes with the wire reader, refusing what the wire refuses.
    public init(from decoder: any Decoder) throws {
        self = try JSONCapture.read(from: decoder) { (scanner) throws(WireScanError) in try Record.scan(&scanner) }
    }

    /// Encodes the wire form.
    public func encode(to encoder: any Encoder) throws {
        let replicas = clock.entries.keys.sorted()
        var indexOf: [ReplicaID: Int] = [:]
        for (index, replica) in replicas.enumerated() { indexOf[replica] = index }
        func dotText(_ dot: Dot) -> String { "\(indexOf[dot.replica]!):\(dot.counter)" }

        var container = encoder.container(keyedBy: Key.self)
        try container.encode(collection, forKey: .collection)
        try container.encode(id, forKey: .id)
        if !presence.isEmpty, !presenceIsImplied {
            var map = container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .presence)
            for (dot, live) in presence { try map.encode(live, forKey: AnyCodingKey(stringValue: dotText(dot))) }
        }
        var clockMap = container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .clock)
        for replica in replicas {
            try clockMap.encode(clock[replica], forKey: AnyCodingKey(stringValue: replica.rawValue))
        }
        let groups = writeGroups()
        if !groups.isEmpty {
            var list = container.nestedUnkeyedContainer(forKey: .writes)
            for group in groups {
                var object = list.nestedContainer(keyedBy: GroupKey.self)
                try object.encode(dotText(group.dot), forKey: .dot)
                if !group.set.isEmpty {
                    var set = object.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .set)
                    for (name, write) in group.set {
                        try set.encode(write.value, forKey: AnyCodingKey(stringValue: name))
                    }
                }
                let bases = group.set.compactMap { name, write in
                    write.base.flatMap { base in write.value.textValue.map { (name, BasePatch(text: $0, base: base)) } }
                }
                if !bases.isEmpty {
                    var map = object.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .bases)
                    for (name, patch) in bases { try map.encode(patch, forKey: AnyCodingKey(stringValue: name)) }
                }
                if !group.tags.isEmpty {
                    var map = object.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .tags)
                    for (name, tags) in group.tags {
                        try map.encode(tags.sortedByBytes(), forKey: AnyCodingKey(stringValue: name))
                    }
                }
            }
        }
        if let purgedBy { try container.encode(dotText(purgedBy), forKey: .purged) }
    }
}
