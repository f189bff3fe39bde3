/// The stable identity of a replica: one device, or the server.
///
/// A replica id is short because it appears in every clock and every dot on the wire.
/// It is 1–32 characters from `[A-Za-z0-9_-]`; ``random()`` makes a 12-character lowercase
/// base32 id (60 random bits), plenty for the devices of a team.
/// It encodes as a plain JSON string and decoding rejects invalid ids with ``ModelError``.
///
/// ```swift
/// let laptop = ReplicaID.random()          // e.g. "k3v9q2m7x1ab"
/// let server = try ReplicaID("server")
/// ```
public struct ReplicaID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The id's text.
    public let rawValue: String

    /// The longest id accepted.
    public static let maxLength = 32

    /// Creates an id after checking its length and characters.
    /// - Throws: ``ModelError/invalidReplicaID(_:)`` when the text is empty, too long or
    ///   contains characters outside `[A-Za-z0-9_-]`.
    public init(_ rawValue: String) throws(ModelError) {
        guard ReplicaID.isValid(rawValue) else { throw .invalidReplicaID(rawValue) }
        self.rawValue = rawValue
    }

    /// Whether `text` is a well-formed replica id.
    public static func isValid(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= maxLength else { return false }
        return utf8.allSatisfy(isIDByte)
    }

    /// A fresh random id: 12 characters of lowercase RFC 4648 base32 (60 random bits).
    public static func random() -> ReplicaID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A random id drawn from `generator` (tests use a seeded generator).
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> ReplicaID {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        let text = String((0..<12).map { _ in alphabet[Int.random(in: 0..<32, using: &generator)] })
        return ReplicaID(unchecked: text)
    }

    /// For ids known to be valid (literals, already-checked text); skips the check.
    @usableFromInline
    init(unchecked rawValue: String) {
        self.rawValue = rawValue
    }

    /// The id itself.
    public var description: String { rawValue }

    /// Byte order, the same on every platform and in every implementation.
    public static func < (lhs: ReplicaID, rhs: ReplicaID) -> Bool {
        // Byte order, so every platform and every other implementation sorts the same way.
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }

    static func isIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}

extension ReplicaID: Codable {
    /// Decodes a string, refusing one that is not a valid replica id.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "invalid replica id", underlyingError: error)
            )
        }
    }

    /// Encodes the id as a string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
