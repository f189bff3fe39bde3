import Foundation

/// Encodes and decodes wire messages: canonical JSON out, strict JSON in.
///
/// Canonical JSON is UTF-8 with object keys sorted by code point, no insignificant whitespace, and `/`
/// not escaped. Two implementations that encode the same message this way produce the same bytes,
/// which is what the test vectors in `protocol-spec/vectors/messages.json` check.
///
/// ```swift
/// let body = try WireCoding.encode(batch)
/// let again = try WireCoding.decode(PushBatch.self, from: body) // throws WireDecodingError
/// ```
public enum WireCoding {
    /// Encodes `value` as canonical JSON.
    public static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        if let value = value as? any WireWritable {
            var writer = JSONWriter(capacity: 4_096)
            value.write(to: &writer)
            return Data(writer.bytes)
        }
        return try makeEncoder().encode(value)
    }

    /// Encodes `value` as a canonical JSON string.
    public static func encodeString<Value: Encodable>(_ value: Value) throws -> String {
        String(decoding: try encode(value), as: UTF8.self)
    }

    /// Decodes `type` from `data`, refusing unknown fields, wrong types and absurd values.
    ///
    /// - Throws: ``WireDecodingError`` naming the offending field; a server answers it with `400`.
    public static func decode<Value: Decodable>(
        _ type: Value.Type, from data: Data
    ) throws(WireDecodingError) -> Value {
        if let scannable = type as? any WireScannable.Type {
            do {
                return try scan(scannable, from: data) as! Value
            } catch {
                throw error.wireError
            }
        }
        // Foundation keeps one of two members of the same name: refuse such bodies first (README §7).
        let repeated: WireScanError? = data.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw.bindMemory(to: UInt8.self))
            do throws(WireScanError) {
                try scanner.checkRepeatedNames()
                return nil
            } catch {
                return error
            }
        }
        if let repeated { throw repeated.wireError }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw WireDecodingError.from(error, data: data)
        }
    }

    /// Decodes `type` from a JSON string; see ``decode(_:from:)``.
    public static func decode<Value: Decodable>(
        _ type: Value.Type, from text: String
    ) throws(WireDecodingError) -> Value {
        try decode(type, from: Data(text.utf8))
    }

    /// Reads a message with ``JSONScanner``: the whole body, nothing after it.
    static func scan<Message: WireScannable>(
        _ type: Message.Type, from data: Data
    ) throws(WireScanError) -> Message {
        let result: Result<Message, WireScanError> = data.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw.bindMemory(to: UInt8.self))
            do throws(WireScanError) {
                let message = try Message.scan(&scanner)
                try scanner.expectEnd()
                return .success(message)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
