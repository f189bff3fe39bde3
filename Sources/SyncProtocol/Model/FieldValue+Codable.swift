/// A value's JSON (see ``FieldValue``): `null`, a string, an integer or a boolean as themselves, the other
/// types as an object with one type key. Decoding runs the same reader as the wire
/// (`FieldValue+WireFormat.swift`), whatever the `Decoder`.
extension FieldValue: Codable {
    private enum Key: String, CodingKey {
        case text, int, dec, time, tags, ref
    }

    /// Decodes with the wire reader: a value that is not canonical is refused.
    public init(from decoder: any Decoder) throws {
        self = try JSONCapture.read(from: decoder) { (scanner) throws(WireScanError) in
            try FieldValue.scan(&scanner)
        }
    }

    /// Encodes the value's JSON form.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .string(let text):
            var single = encoder.singleValueContainer()
            try single.encode(text)
        case .integer(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .bool(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .text(let text):
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(text, forKey: .text)
        case .decimal(let value):
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(value, forKey: .dec)
        case .timestamp(let value):
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(value, forKey: .time)
        case .tags(let tags):
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(tags.sortedByBytes(), forKey: .tags)
        case .reference(let id):
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(id, forKey: .ref)
        }
    }
}

extension Collection where Element == String {
    /// The strings in UTF-8 byte order: the one order every implementation agrees on.
    func sortedByBytes() -> [String] {
        sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
