import Foundation
import SyncProtocol

/// The one JSON spelling of every protocol value, so equal states have equal bytes
/// (vectors compare bytes; hashes and signatures can be taken over them).
///
/// Rules: object keys sorted by their UTF-8 bytes; no insignificant whitespace; `/` not
/// escaped; non-ASCII characters written as UTF-8, not escaped; integers without exponent
/// or fraction. Sets are written as arrays sorted by the same byte order.
public enum CanonicalJSON {
    /// An encoder producing the canonical form.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A decoder for protocol values.
    public static func makeDecoder() -> JSONDecoder {
        JSONDecoder()
    }

    /// The canonical bytes of `value`.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        // Records and record-carrying messages have a direct writer that gives the same bytes, faster.
        try WireCoding.encode(value)
    }

    /// The canonical text of `value`.
    public static func string<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encode(value), as: UTF8.self)
    }

    /// Decodes a protocol value.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try makeDecoder().decode(type, from: data)
    }
}
