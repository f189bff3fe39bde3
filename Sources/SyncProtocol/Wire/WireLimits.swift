/// Hard bounds that every message must respect, whatever the server's configured limits.
///
/// They exist so that a decoder rejects absurd input (a 10 MB id, a negative page size, a counter that
/// a JavaScript client cannot represent) with a `400` before any of it reaches storage. A server's own,
/// usually smaller, limits are announced in ``ServerLimits``.
public enum WireLimits {
    /// Longest identifier (team, device, record id, batch id, replica id) in UTF-8 bytes.
    public static let maxIdentifierBytes = 128
    /// Longest opaque pull cursor in UTF-8 bytes.
    public static let maxCursorBytes = 512
    /// Most records in one push batch or pull page, whatever a server announces.
    public static let maxRecordsPerMessage = 10_000
    /// Longest human-readable text in a message envelope (device name, error message, client name).
    public static let maxLabelBytes = 1_024
    /// Longest bearer token or enrolment code in UTF-8 bytes.
    public static let maxSecretBytes = 512
    /// Most protocol versions a client may offer.
    public static let maxOfferedVersions = 32
    /// Largest integer counter or sequence number: 2^53 - 1, the largest integer a JSON number
    /// carries exactly in every common JSON implementation.
    public static let maxSafeInteger: UInt64 = (1 << 53) - 1
    /// Longest `Retry-After` a server may ask for, in seconds (one day).
    public static let maxRetryAfterSeconds = 86_400

    /// Whether `value` is a well-formed identifier: 1 to ``maxIdentifierBytes`` bytes of ASCII letters,
    /// digits, `.`, `_`, `:` and `-`.
    ///
    /// The alphabet keeps identifiers safe in URLs, file names, SQL literals and log lines without quoting.
    public static func isValidIdentifier(_ value: String) -> Bool {
        let bytes = value.utf8
        guard !bytes.isEmpty, bytes.count <= maxIdentifierBytes else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: ":"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }
}
