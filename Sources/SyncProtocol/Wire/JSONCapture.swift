/// A JSON value taken whole out of any `Decoder`, so types with a hand-written wire reader
/// (``Record``, ``FieldValue``) decode through that one reader whatever the `Decoder` is: a store that
/// keeps records with `JSONDecoder` applies exactly the rules a server applies to a push.
enum JSONCapture: Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONCapture])
    case object([(String, JSONCapture)])

    init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer() {
            if single.decodeNil() {
                self = .null
                return
            }
            if let value = try? single.decode(Bool.self) {
                self = .bool(value)
                return
            }
            if let value = try? single.decode(Int64.self) {
                self = .integer(value)
                return
            }
            if let value = try? single.decode(Double.self) {
                self = .number(value)
                return
            }
            if let value = try? single.decode(String.self) {
                self = .string(value)
                return
            }
        }
        if var list = try? decoder.unkeyedContainer() {
            var items: [JSONCapture] = []
            while !list.isAtEnd { items.append(try list.decode(JSONCapture.self)) }
            self = .array(items)
            return
        }
        let object = try decoder.container(keyedBy: AnyCodingKey.self)
        self = .object(try object.allKeys.map { ($0.stringValue, try object.decode(JSONCapture.self, forKey: $0)) })
    }

    func write(to writer: inout JSONWriter) {
        switch self {
        case .null: writer.null()
        case .bool(let value): writer.bool(value)
        case .integer(let value): writer.integer(value)
        // Not an integer: written so that the reader refuses it as one, as it would the original.
        case .number: writer.raw("1e999")
        case .string(let value): writer.string(value)
        case .array(let items):
            writer.byte(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { writer.comma() }
                item.write(to: &writer)
            }
            writer.byte(UInt8(ascii: "]"))
        case .object(let members):
            writer.byte(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { writer.comma() }
                writer.key(member.0)
                member.1.write(to: &writer)
            }
            writer.byte(UInt8(ascii: "}"))
        }
    }

    /// Decodes the value held by `decoder` with a wire reader, turning its errors into `DecodingError`s that
    /// carry the decoder's coding path (so ``WireCoding`` reports `records[0].w[1].s` as usual).
    static func read<T>(
        from decoder: any Decoder, with reader: (inout JSONScanner) throws(WireScanError) -> T
    ) throws -> T {
        var writer = JSONWriter()
        try JSONCapture(from: decoder).write(to: &writer)
        do {
            return try writer.bytes.withUnsafeBufferPointer { buffer throws(WireScanError) -> T in
                var scanner = JSONScanner(buffer)
                let value = try reader(&scanner)
                try scanner.expectEnd()
                return value
            }
        } catch {
            let keys = error.path.map { item -> any CodingKey in
                switch item {
                case .key(let key): AnyCodingKey(stringValue: key)
                case .index(let index): AnyCodingKey(intValue: index)
                }
            }
            // A DecodingError, as any Decodable throws; the wire kind and path ride along for WireCoding.
            let path = decoder.codingPath + keys
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: path, debugDescription: error.reason,
                    underlyingError: WireValueError(kind: error.kind, codingPath: path, reason: error.reason)))
        }
    }
}
