import Foundation

/// An exact decimal number held as its canonical string, so no replica rounds it.
///
/// Canonical form: an optional `-`, the integer digits without leading zeros (`0` if none),
/// then, if the fraction is not zero, `.` and the fraction digits without trailing zeros.
/// `-0` is `0`. At most 64 characters. Examples: `"12.5"`, `"-0.001"`, `"0"`.
///
/// ```swift
/// let price = try ExactDecimal("0012.50")   // "12.5"
/// ```
public struct ExactDecimal: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The canonical text.
    public let canonical: String

    /// The longest canonical text accepted.
    public static let maxLength = 64

    /// Parses `-?digits[.digits]` (no exponent, no `+`) and canonicalises it.
    /// - Throws: ``ModelError/invalidDecimal(_:)`` when malformed or too long.
    public init(_ text: String) throws(ModelError) {
        var bytes = Array(text.utf8)
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes.removeFirst()
        }
        let parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        let isDigit: (UInt8) -> Bool = { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard let integerPart = parts.first, !integerPart.isEmpty, integerPart.allSatisfy(isDigit) else {
            throw .invalidDecimal(text)
        }
        var fraction: ArraySlice<UInt8> = []
        if parts.count == 2 {
            fraction = parts[1]
            guard !fraction.isEmpty, fraction.allSatisfy(isDigit) else { throw .invalidDecimal(text) }
        }
        let integerDigits = integerPart.drop { $0 == UInt8(ascii: "0") }
        var fractionDigits = fraction
        while fractionDigits.last == UInt8(ascii: "0") { fractionDigits.removeLast() }
        var result = integerDigits.isEmpty ? "0" : String(decoding: integerDigits, as: UTF8.self)
        if !fractionDigits.isEmpty { result += "." + String(decoding: fractionDigits, as: UTF8.self) }
        if negative && result != "0" { result = "-" + result }
        guard result.utf8.count <= ExactDecimal.maxLength else { throw .invalidDecimal(text) }
        canonical = result
    }

    /// Converts a Foundation `Decimal` exactly.
    public init(_ decimal: Decimal) throws(ModelError) {
        try self.init(decimal.description)
    }

    /// The value as a Foundation `Decimal` (exact up to its 38 significant digits).
    public var decimalValue: Decimal? {
        Decimal(string: canonical, locale: Locale(identifier: "en_US_POSIX"))
    }

    /// The canonical text, e.g. `12.5`.
    public var description: String { canonical }

    /// Decodes the canonical text only: a value spelled any other way (`12.50`, `+1`) is refused.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "invalid decimal", underlyingError: error)
            )
        }
        guard canonical == text else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "decimal is not canonical")
            )
        }
    }

    /// Encodes the canonical text, a JSON string (never a floating-point number).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(canonical)
    }
}
