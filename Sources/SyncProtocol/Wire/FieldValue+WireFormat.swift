extension FieldValue {
    /// Writes the value's canonical JSON (see ``FieldValue``).
    func write(to writer: inout JSONWriter) {
        switch self {
        case .null: writer.null()
        case .string(let text): writer.string(text)
        case .integer(let value): writer.integer(value)
        case .bool(let value): writer.bool(value)
        case .text(let text):
            writer.rawKey("{\"text\"")
            writer.string(text)
            writer.byte(UInt8(ascii: "}"))
        case .reference(let id):
            writer.rawKey("{\"ref\"")
            writer.string(id)
            writer.byte(UInt8(ascii: "}"))
        case .decimal(let value):
            writer.rawKey("{\"dec\"")
            writer.string(value.canonical)
            writer.byte(UInt8(ascii: "}"))
        case .timestamp(let value):
            writer.rawKey("{\"time\"")
            writer.integer(value.millisecondsSince1970)
            writer.byte(UInt8(ascii: "}"))
        case .tags(let tags):
            writer.rawKey("{\"tags\"")
            writer.byte(UInt8(ascii: "["))
            for (index, tag) in tags.sortedByBytes().enumerated() {
                if index > 0 { writer.comma() }
                writer.string(tag)
            }
            writer.raw("]}")
        }
    }

    /// Reads a value: `null`, a string, an integer, a boolean, or an object with exactly one type key.
    static func scan(_ scanner: inout JSONScanner) throws(WireScanError) -> FieldValue {
        switch scanner.peek() {
        case UInt8(ascii: "n")?:
            _ = try scanner.readNull()
            return .null
        case UInt8(ascii: "\"")?:
            return .string(try scanner.readString())
        case UInt8(ascii: "t")?, UInt8(ascii: "f")?:
            return .bool(try scanner.readBool())
        case UInt8(ascii: "{")?:
            break
        case UInt8(ascii: "[")?:
            throw scanner.failure(.wrongType, "expected a field value (null, string, integer, boolean or object)")
        default:
            let value = try scanner.readInteger()
            guard value.magnitude <= FieldValue.maxInteger.magnitude else {
                throw scanner.failure(.invalidValue, "integer outside ±(2^53 - 1)")
            }
            return .integer(value)
        }
        try scanner.beginObject()
        guard let type = try scanner.nextKey(first: true) else {
            throw scanner.failure(.invalidValue, "a field value object has exactly one type key")
        }
        scanner.push(.key(type))
        let value: FieldValue
        switch type {
        case "text": value = .text(try scanner.readString())
        case "ref": value = .reference(try scanner.readString())
        case "dec":
            let text = try scanner.readString()
            guard let decimal = try? ExactDecimal(text), decimal.canonical == text else {
                throw scanner.failure(.invalidValue, "not a canonical decimal")
            }
            value = .decimal(decimal)
        case "time":
            let milliseconds = try scanner.readInteger()
            guard milliseconds.magnitude <= FieldValue.maxInteger.magnitude else {
                throw scanner.failure(.invalidValue, "integer outside ±(2^53 - 1)")
            }
            value = .timestamp(Timestamp(millisecondsSince1970: milliseconds))
        case "tags":
            var tags = Set<String>()
            try scanner.beginArray()
            var first = true
            while try scanner.nextElement(first: first) {
                first = false
                guard tags.insert(try scanner.readString()).inserted else {
                    throw scanner.failure(.invalidValue, "duplicate tags")
                }
            }
            value = .tags(tags)
        default:
            scanner.pop()
            throw scanner.failure(.invalidValue, "unknown value type")
        }
        scanner.pop()
        if let second = try scanner.nextKey(first: false) {
            if second == type {
                scanner.push(.key(second))
                throw scanner.failure(.malformedJSON, "repeated member name")
            }
            throw scanner.failure(.invalidValue, "a field value object has exactly one type key")
        }
        return value
    }
}
