/// A strict, allocation-light JSON reader over UTF-8 bytes, for the message shapes that carry records.
///
/// Foundation's `JSONDecoder` builds a generic tree and then walks it through `Codable` containers, which
/// costs more than the rest of a pull together. This reader goes straight from bytes to values and keeps
/// the path of the value it is reading, so its errors name the offending field (`records[2].w[0].s`)
/// exactly as the `Codable` path does.
struct JSONScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position: Int
    /// Where the reader is, for error messages: object keys and array indices.
    private(set) var path: [WirePathItem]

    init(_ bytes: UnsafeBufferPointer<UInt8>, path: [WirePathItem] = []) {
        self.bytes = bytes
        self.position = 0
        self.path = path
    }

    // MARK: Errors

    func failure(_ kind: WireDecodingError.Kind, _ reason: String) -> WireScanError {
        WireScanError(kind: kind, path: path, reason: reason)
    }

    func malformed() -> WireScanError {
        WireScanError(kind: .malformedJSON, path: [], reason: "body is not valid JSON")
    }

    mutating func push(_ item: WirePathItem) { path.append(item) }
    mutating func pop() { path.removeLast() }

    // MARK: Structure

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// The first byte of the next value, or `nil` at the end of the input.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < bytes.count ? bytes[position] : nil
    }

    /// Fails unless only whitespace is left.
    mutating func expectEnd() throws(WireScanError) {
        skipWhitespace()
        guard position == bytes.count else { throw malformed() }
    }

    /// The JSON type found where a value of another type was expected.
    mutating func typeMismatch(expected: String) -> WireScanError {
        if peek() == UInt8(ascii: "n") {
            return failure(.wrongType, "expected \(expected), found null")
        }
        return failure(.wrongType, "expected \(expected)")
    }

    /// Enters an object; fails with `wrong_type` when the value is not one.
    mutating func beginObject() throws(WireScanError) {
        guard let byte = peek() else { throw malformed() }
        guard byte == UInt8(ascii: "{") else {
            try checkValueStart(byte)
            throw typeMismatch(expected: "an object")
        }
        position += 1
    }

    /// The next key of the object being read, or `nil` after its closing brace.
    /// `first` says whether no key was read yet (no comma expected).
    mutating func nextKey(first: Bool) throws(WireScanError) -> String? {
        guard let byte = peek() else { throw malformed() }
        if byte == UInt8(ascii: "}") {
            position += 1
            return nil
        }
        if !first {
            guard byte == UInt8(ascii: ",") else { throw malformed() }
            position += 1
            skipWhitespace()
        }
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw malformed() }
        let key = try readStringUnchecked()
        guard peek() == UInt8(ascii: ":") else { throw malformed() }
        position += 1
        return key
    }

    /// Enters an array; fails with `wrong_type` when the value is not one.
    mutating func beginArray() throws(WireScanError) {
        guard let byte = peek() else { throw malformed() }
        guard byte == UInt8(ascii: "[") else {
            try checkValueStart(byte)
            throw typeMismatch(expected: "an array")
        }
        position += 1
    }

    /// Whether another element follows in the array being read (consuming the comma or closing bracket).
    mutating func nextElement(first: Bool) throws(WireScanError) -> Bool {
        guard let byte = peek() else { throw malformed() }
        if byte == UInt8(ascii: "]") {
            position += 1
            return false
        }
        if !first {
            guard byte == UInt8(ascii: ",") else { throw malformed() }
            position += 1
        }
        return true
    }

    /// Fails with `malformed_json` unless `byte` can start a JSON value.
    private func checkValueStart(_ byte: UInt8) throws(WireScanError) {
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "t"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return
        default:
            throw malformed()
        }
    }

    // MARK: Scalars

    /// Reads `null`, returning whether it was there (and consuming it).
    mutating func readNull() throws(WireScanError) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try expectLiteral("null")
        return true
    }

    mutating func readBool() throws(WireScanError) -> Bool {
        switch peek() {
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return true
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return false
        case let byte?:
            try checkValueStart(byte)
            throw typeMismatch(expected: "a boolean")
        case nil:
            throw malformed()
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(WireScanError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw malformed() }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for offset in 0..<count where bytes[position + offset] != expected[offset] { throw malformed() }
        position += count
    }

    /// Reads a JSON number that must be an integer; a fraction, an exponent or a value beyond Int64 is
    /// `invalid_value` (as Foundation reports it), another JSON type `wrong_type`.
    mutating func readInteger() throws(WireScanError) -> Int64 {
        guard let first = peek() else { throw malformed() }
        guard first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) else {
            try checkValueStart(first)
            throw typeMismatch(expected: "an integer")
        }
        var negative = false
        if first == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        guard position < bytes.count, isDigit(bytes[position]) else { throw malformed() }
        var magnitude: UInt64 = 0
        var overflow = false
        if bytes[position] == 0x30 {
            position += 1
        } else {
            while position < bytes.count, isDigit(bytes[position]) {
                let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(UInt64(bytes[position] - 0x30))
                overflow = overflow || o1 || o2
                magnitude = sum
                position += 1
            }
        }
        var integral = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            integral = false
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw malformed() }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            integral = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw malformed() }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        let limit: UInt64 = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        guard integral, !overflow, magnitude <= limit else {
            throw failure(.invalidValue, "must be an integer")
        }
        return negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// Reads a string; another JSON type is `wrong_type`.
    mutating func readString() throws(WireScanError) -> String {
        guard let byte = peek() else { throw malformed() }
        guard byte == UInt8(ascii: "\"") else {
            try checkValueStart(byte)
            throw typeMismatch(expected: "a string")
        }
        return try readStringUnchecked()
    }

    /// Reads the string that starts at the current position (its opening quote).
    private mutating func readStringUnchecked() throws(WireScanError) -> String {
        position += 1
        let start = position
        // The common case: no escapes, so the bytes are the string. Eight bytes at a time while none of
        // them ends the string, starts an escape or is a control character.
        position = Self.skipPlainBytes(bytes, from: position)
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
                position += 1
                guard let text = String(validating: slice, as: UTF8.self) else { throw malformed() }
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw malformed() }
            position += 1
        }
        guard position < bytes.count else { throw malformed() }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(position - start + 64)
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            // Copy the run of plain bytes up to the next special one in bulk (a note has a `\n` every line).
            let runEnd = Self.skipPlainBytes(bytes, from: position)
            if runEnd > position {
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[position..<runEnd]))
                position = runEnd
                continue
            }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                guard let text = String(validating: buffer, as: UTF8.self) else { throw malformed() }
                return text
            }
            guard byte >= 0x20 else { throw malformed() }
            guard byte == UInt8(ascii: "\\") else {
                buffer.append(byte)
                position += 1
                continue
            }
            position += 1
            guard position < bytes.count else { throw malformed() }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate must be followed by an escaped low one.
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                        bytes[position + 1] == UInt8(ascii: "u")
                    else { throw malformed() }
                    position += 2
                    let low = try readHex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw malformed() }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw malformed()
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw malformed() }
                buffer.append(contentsOf: UTF8.encode(unicode)!)
            default:
                throw malformed()
            }
        }
        throw malformed()
    }

    /// The first position at or after `start` whose 8-byte word holds a `"`, a `\\` or a byte below 0x20.
    @inline(__always)
    static func skipPlainBytes(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return start }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var position = start
        while position + 8 <= bytes.count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let special =
                ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)
            if special & highs != 0 { break }
            position += 8
        }
        return position
    }

    private mutating func readHex4() throws(WireScanError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw malformed() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw malformed()
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}

/// One step of the path to a value: an object key or an array index.
enum WirePathItem: Sendable, Hashable {
    case key(String)
    case index(Int)

    /// Renders a path as `a.b[3].c`, the form of ``WireDecodingError/path``.
    static func render(_ items: some Sequence<WirePathItem>) -> String {
        var text = ""
        for item in items {
            switch item {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }
}

/// A failure met by ``JSONScanner`` or the readers built on it, with the path it happened at.
struct WireScanError: Error, Sendable {
    var kind: WireDecodingError.Kind
    var path: [WirePathItem]
    var reason: String

    var wireError: WireDecodingError {
        WireDecodingError(kind: kind, path: WirePathItem.render(path), reason: reason)
    }
}

// MARK: Repeated member names

extension JSONScanner {
    /// Walks one JSON value and fails with `malformed_json` at the first object that repeats a member name, and
    /// with `invalid_value` at the first number that is not an integer within ±(2^53 - 1).
    ///
    /// For messages read with Foundation's `JSONDecoder`, which keeps one of the repeated members silently and
    /// reads `1.0` as an integer.
    /// Other faults (bad syntax, deep nesting) end the walk without an error: the decoder reports them.
    mutating func checkRepeatedNames(depth: Int = 0) throws(WireScanError) {
        guard depth < 64, let byte = peek() else { return }
        switch byte {
        case UInt8(ascii: "{"):
            position += 1
            var names = Set<String>()
            var first = true
            while let key = try? nextKey(first: first) {
                first = false
                push(.key(key))
                guard names.insert(key).inserted else {
                    throw failure(.malformedJSON, "repeated member name")
                }
                try checkRepeatedNames(depth: depth + 1)
                pop()
            }
        case UInt8(ascii: "["):
            position += 1
            var index = 0
            while (try? nextElement(first: index == 0)) == true {
                push(.index(index))
                try checkRepeatedNames(depth: depth + 1)
                pop()
                index += 1
            }
        case UInt8(ascii: "\""):
            _ = try? readStringUnchecked()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            // Every number of the protocol is an integer within ±(2^53 - 1), written without fraction or
            // exponent (README §8); Foundation would read 1.0 as 1.
            let value = try readInteger()
            guard value.magnitude <= ProtocolLimits.maxCounter else {
                throw failure(.invalidValue, "integer outside ±(2^53 - 1)")
            }
        default:
            // A literal: skip its bytes.
            let start = position
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x0A, 0x0D, 0x09:
                    if position == start { position += 1 }
                    return
                default:
                    position += 1
                }
            }
        }
    }
}
