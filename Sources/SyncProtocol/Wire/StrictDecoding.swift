/// A coding key that accepts any name, used to see every key an object holds.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

extension Decoder {
    /// A keyed container that first refuses any key outside `Keys`.
    ///
    /// Unknown fields are refused rather than ignored because a client that sends a field the server
    /// silently drops believes something was stored that was not (and a typo in a field name would
    /// otherwise lose data without a trace).
    public func strictContainer<Keys: CodingKey & CaseIterable>(
        keyedBy type: Keys.Type
    ) throws -> KeyedDecodingContainer<Keys> {
        let all = try container(keyedBy: AnyCodingKey.self)
        let known = Set(Keys.allCases.map(\.stringValue))
        if let unknown = all.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw WireValueError(
                kind: .unknownField, codingPath: codingPath + [unknown], reason: "unknown field"
            )
        }
        return try container(keyedBy: type)
    }
}

extension KeyedDecodingContainer {
    /// Throws an ``WireDecodingError/Kind-swift.enum/invalidValue`` error that points at `key`.
    func invalid(_ key: Key, _ reason: String) -> any Error {
        WireValueError(kind: .invalidValue, codingPath: codingPath + [key], reason: reason)
    }

    /// Decodes an identifier and checks it against ``WireLimits/isValidIdentifier(_:)``.
    func decodeIdentifier(forKey key: Key) throws -> String {
        let value = try decode(String.self, forKey: key)
        guard WireLimits.isValidIdentifier(value) else {
            throw invalid(key, "not a valid identifier (1-\(WireLimits.maxIdentifierBytes) of [A-Za-z0-9._:-])")
        }
        return value
    }

    /// Decodes a string of at most `maxBytes` UTF-8 bytes; `allowEmpty` says whether "" is acceptable.
    func decodeText(forKey key: Key, maxBytes: Int, allowEmpty: Bool = false) throws -> String {
        let value = try decode(String.self, forKey: key)
        guard value.utf8.count <= maxBytes else { throw invalid(key, "longer than \(maxBytes) bytes") }
        guard allowEmpty || !value.isEmpty else { throw invalid(key, "must not be empty") }
        return value
    }

    /// Decodes an optional string of at most `maxBytes` UTF-8 bytes. An optional member is left out when
    /// absent: `null` is `wrong_type`, like `null` anywhere a value is required (README §7).
    func decodeTextIfPresent(forKey key: Key, maxBytes: Int) throws -> String? {
        guard contains(key) else { return nil }
        return try decodeText(forKey: key, maxBytes: maxBytes, allowEmpty: true)
    }

    /// Decodes a label (a device name, a client name): at most `WireLimits.maxLabelBytes` bytes, not empty
    /// unless `allowEmpty`, and without control characters (U+0000-U+001F, U+007F-U+009F), which storage
    /// backends truncate or refuse and terminals interpret (README §8).
    func decodeLabel(forKey key: Key, allowEmpty: Bool = false) throws -> String {
        let value = try decodeText(forKey: key, maxBytes: WireLimits.maxLabelBytes, allowEmpty: allowEmpty)
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw invalid(key, "must not contain control characters")
        }
        return value
    }

    /// An optional label (see ``decodeLabel(forKey:allowEmpty:)``); `null` is `wrong_type`.
    func decodeLabelIfPresent(forKey key: Key) throws -> String? {
        guard contains(key) else { return nil }
        return try decodeLabel(forKey: key, allowEmpty: true)
    }

    /// Decodes an integer and checks that it lies in `range`.
    func decodeInt(forKey key: Key, in range: ClosedRange<Int>) throws -> Int {
        let value: Int
        do {
            value = try decode(Int.self, forKey: key)
        } catch let error as DecodingError {
            throw error
        } catch {
            // Foundation reports a fraction or an overflow with an error of its own, without a path.
            _ = try decode(Double.self, forKey: key)
            throw invalid(key, "must be an integer between \(range.lowerBound) and \(range.upperBound)")
        }
        guard range.contains(value) else {
            throw invalid(key, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    /// Decodes an optional integer and checks that it lies in `range` when present.
    func decodeIntIfPresent(forKey key: Key, in range: ClosedRange<Int>) throws -> Int? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try decodeInt(forKey: key, in: range)
    }

    /// Decodes a `protocolVersion` and checks that this build speaks it.
    func decodeProtocolVersion(forKey key: Key) throws -> Int {
        let value = try decodeInt(forKey: key, in: 1...1_000)
        guard ProtocolVersion.supported.contains(value) else {
            throw WireValueError(
                kind: .unsupportedVersion, codingPath: codingPath + [key],
                reason: "protocol version \(value) is not supported (supported: \(ProtocolVersion.supported))"
            )
        }
        return value
    }
}
