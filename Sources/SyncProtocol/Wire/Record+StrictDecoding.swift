/// A record decoded with the wire's unknown-field check.
///
/// `Record`'s own `Decodable` conformance validates the state but, like every synthesized container,
/// ignores keys it does not know. At the wire boundary an unknown key must be refused (a client that
/// believes a field was stored when it was dropped loses data), so messages decode records through this
/// wrapper, which checks the record object and its write groups against the keys of the record format
/// (`protocol-spec/merge.md`) before handing the same decoder to `Record`.
struct StrictRecord: Decodable {
    var record: Record

    private enum RecordKeys: String, CodingKey, CaseIterable {
        case collection, id, clock, writes, tags, presence, purged
    }

    private enum WriteGroupKeys: String, CodingKey, CaseIterable {
        case dot, set, base
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: RecordKeys.self)
        if container.contains(.writes), try !container.decodeNil(forKey: .writes) {
            var groups = try container.nestedUnkeyedContainer(forKey: .writes)
            while !groups.isAtEnd {
                _ = try groups.decode(WriteGroupKeyCheck.self)
            }
        }
        record = try Record(from: decoder)
    }

    /// Decodes nothing but the key check of one write group.
    private struct WriteGroupKeyCheck: Decodable {
        init(from decoder: any Decoder) throws {
            _ = try decoder.strictContainer(keyedBy: WriteGroupKeys.self)
        }
    }
}

extension KeyedDecodingContainer {
    /// Decodes a record with the unknown-field check of ``StrictRecord``.
    func decodeStrictRecord(forKey key: Key) throws -> Record {
        try decode(StrictRecord.self, forKey: key).record
    }
}
