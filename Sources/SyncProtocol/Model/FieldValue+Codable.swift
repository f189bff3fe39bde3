extension FieldValue: Codable {
    private enum Key: String, CodingKey {
        case text, str, int, dec, bool, time, tags, ref
    }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), single.decodeNil() {
            self = .null
            return
        }
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "a field value is null or an object with exactly one type key"
                ))
        }
        switch key {
        case .text: self = .text(try container.decode(String.self, forKey: key))
        case .str: self = .string(try container.decode(String.self, forKey: key))
        case .int:
            let value = try container.decode(Int64.self, forKey: key)
            guard abs(value) <= FieldValue.maxInteger else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "integer \(value) outside ±(2^53 - 1)"
                )
            }
            self = .integer(value)
        case .dec: self = .decimal(try container.decode(ExactDecimal.self, forKey: key))
        case .bool: self = .bool(try container.decode(Bool.self, forKey: key))
        case .time: self = .timestamp(try container.decode(Timestamp.self, forKey: key))
        case .tags:
            let list = try container.decode([String].self, forKey: key)
            let set = Set(list)
            guard set.count == list.count else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "duplicate tags"
                )
            }
            self = .tags(set)
        case .ref: self = .reference(try container.decode(String.self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if case .null = self {
            var single = encoder.singleValueContainer()
            try single.encodeNil()
            return
        }
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .text(let text): try container.encode(text, forKey: .text)
        case .string(let text): try container.encode(text, forKey: .str)
        case .integer(let value): try container.encode(value, forKey: .int)
        case .decimal(let value): try container.encode(value, forKey: .dec)
        case .bool(let value): try container.encode(value, forKey: .bool)
        case .timestamp(let value): try container.encode(value, forKey: .time)
        case .tags(let tags): try container.encode(tags.sortedByBytes(), forKey: .tags)
        case .reference(let id): try container.encode(id, forKey: .ref)
        case .null: break
        }
    }
}

extension Collection where Element == String {
    /// The strings in UTF-8 byte order: the one order every implementation agrees on.
    func sortedByBytes() -> [String] {
        sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
