/// Canonical JSON of a record (keys in UTF-8 byte order, see ``CanonicalJSON``):
///
/// ```json
/// {"clock":{"lap":2,"pho":1},"collection":"notes","id":"0f8c...","presence":{"lap:2":true,"pho:1":true},
///  "tags":{"tags":{"housing":["lap:1"]}},
///  "writes":[{"dot":"lap:1","set":{"kind":{"str":"walk"},"subject":{"ref":"y-417"}}},
///            {"base":{"body":[5,0,""]},"dot":"lap:2","set":{"body":{"text":"Met.\nCall Friday.\n"}}}]}
/// ```
///
/// - `writes`: the live register writes grouped by dot (one group per operation), groups in dot
///   order; `set` maps field to value; `base` maps a text field to the text that write replaced,
///   as a patch of the written text `[prefix, suffix, "middle"]` (see `BasePatch`).
/// - `tags`: per tag field, per tag, the dots of its live adds (sorted).
/// - `presence`: per latest operation's dot, `true` (edit) or `false` (delete).
/// - `purged`: the purge dot, only on purged records (which then have no other content).
/// Empty `writes`, `tags`, `presence` are omitted. Decoding validates the result
/// (``Record/validateStructure()``) and fails with a `DecodingError` whose underlying error is
/// the ``ModelError``.
extension Record: Codable {
    private enum Key: String, CodingKey {
        case collection, id, clock, writes, tags, presence, purged
    }

    private struct WriteGroup: Codable {
        var dot: Dot
        var set: [String: FieldValue]
        var base: [String: BasePatch]?

        init(dot: Dot, set: [String: FieldValue], base: [String: BasePatch]?) {
            self.dot = dot
            self.set = set
            self.base = base
        }

        init(from decoder: any Decoder) throws {
            try Record.rejectUnknownKeys(decoder, allowed: ["dot", "set", "base"])
            let container = try decoder.container(keyedBy: CodingKeys.self)
            dot = try container.decode(Dot.self, forKey: .dot)
            set = try container.decode([String: FieldValue].self, forKey: .set)
            base = try container.decodeIfPresent([String: BasePatch].self, forKey: .base)
        }
    }

    /// State this version does not understand must not be dropped silently by a merge, so
    /// records with unknown keys are rejected rather than decoded partially.
    private static func rejectUnknownKeys(_ decoder: any Decoder, allowed: Set<String>) throws {
        let keys = try decoder.container(keyedBy: DotKey.self).allKeys.map(\.stringValue)
        if let unknown = keys.first(where: { !allowed.contains($0) }) {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "unknown key '\(unknown)' in a record")
            )
        }
    }

    private struct DotKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        try Record.rejectUnknownKeys(
            decoder, allowed: ["collection", "id", "clock", "writes", "tags", "presence", "purged"]
        )
        let container = try decoder.container(keyedBy: Key.self)
        self.init(
            collection: try container.decode(String.self, forKey: .collection),
            id: try container.decode(String.self, forKey: .id)
        )
        clock = try container.decode(VersionVector.self, forKey: .clock)
        purgedBy = try container.decodeIfPresent(Dot.self, forKey: .purged)
        let groups = try container.decodeIfPresent([WriteGroup].self, forKey: .writes) ?? []
        var groupDots = Set<Dot>()
        for group in groups {
            guard groupDots.insert(group.dot).inserted else {
                throw Record.corrupt(.malformedRecord(record: id, reason: "two write groups for \(group.dot)"), decoder)
            }
            var bases: [String: String] = [:]
            for (name, patch) in group.base ?? [:] {
                guard let text = group.set[name]?.textValue else {
                    throw Record.corrupt(
                        .malformedRecord(record: id, reason: "base without a text write of '\(name)'"), decoder)
                }
                guard let base = patch.base(of: text) else {
                    throw Record.corrupt(
                        .malformedRecord(record: id, reason: "base of '\(name)' is not a canonical patch"), decoder)
                }
                bases[name] = base
            }
            for (name, value) in group.set {
                registers[name, default: []].append(FieldWrite(dot: group.dot, value: value, base: bases[name]))
            }
        }
        for name in registers.keys { registers[name]!.sort { $0.dot < $1.dot } }
        let tagLists = try container.decodeIfPresent([String: [String: [Dot]]].self, forKey: .tags) ?? [:]
        for (name, elements) in tagLists {
            var set: [String: Set<Dot>] = [:]
            for (tag, dots) in elements {
                guard Set(dots).count == dots.count else {
                    throw Record.corrupt(
                        .malformedRecord(record: id, reason: "duplicate dots for tag '\(tag)'"), decoder)
                }
                set[tag] = Set(dots)
            }
            tagSets[name] = set
        }
        if container.contains(.presence) {
            let presenceContainer = try container.nestedContainer(keyedBy: DotKey.self, forKey: .presence)
            for key in presenceContainer.allKeys {
                let dot: Dot
                do {
                    dot = try Dot(parsing: key.stringValue)
                } catch {
                    throw Record.corrupt(error, decoder)
                }
                presence[dot] = try presenceContainer.decode(Bool.self, forKey: key)
            }
        }
        do {
            try validateStructure()
        } catch {
            throw Record.corrupt(error, decoder)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(collection, forKey: .collection)
        try container.encode(id, forKey: .id)
        try container.encode(clock, forKey: .clock)
        try container.encodeIfPresent(purgedBy, forKey: .purged)
        var groups: [Dot: WriteGroup] = [:]
        for (name, writes) in registers {
            for write in writes {
                groups[write.dot, default: WriteGroup(dot: write.dot, set: [:], base: nil)].set[name] = write.value
                if let base = write.base, let text = write.value.textValue {
                    groups[write.dot]!.base = (groups[write.dot]!.base ?? [:])
                        .merging([name: BasePatch(text: text, base: base)]) { $1 }
                }
            }
        }
        if !groups.isEmpty {
            try container.encode(groups.keys.sorted().map { groups[$0]! }, forKey: .writes)
        }
        if !tagSets.isEmpty {
            let lists = tagSets.mapValues { $0.mapValues { $0.sorted() } }
            try container.encode(lists, forKey: .tags)
        }
        if !presence.isEmpty {
            var presenceContainer = container.nestedContainer(keyedBy: DotKey.self, forKey: .presence)
            for (dot, live) in presence {
                try presenceContainer.encode(live, forKey: DotKey(stringValue: dot.description))
            }
        }
    }

    private static func corrupt(_ error: ModelError, _ decoder: any Decoder) -> DecodingError {
        DecodingError.dataCorrupted(
            .init(codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error)
        )
    }
}
