/// The versions of the wire protocol this build speaks, and how two sides pick one.
///
/// Every message body carries a `protocolVersion` integer. A client lists the versions it speaks in
/// ``HelloRequest``; the server answers with the highest version both sides speak. A version number
/// changes only when a message changes incompatibly; adding an optional field does not change it.
public enum ProtocolVersion {
    /// The version this build writes.
    public static let current = 2

    /// Every version this build can read and write, ascending.
    public static let supported: [Int] = [1, 2]

    /// The highest version in both lists, or `nil` when the two sides share none.
    ///
    /// ```swift
    /// ProtocolVersion.negotiate(client: [1, 2], server: [1]) // 1
    /// ```
    public static func negotiate(client: [Int], server: [Int] = supported) -> Int? {
        Set(client).intersection(server).max()
    }

    /// The version a GET request asks for in its `protocolVersion` query parameter: 1 when absent (version-1
    /// clients never send it), else a supported version in decimal digits.
    ///
    /// - Throws: `invalid_value` for anything but digits in 1...1000, `unsupported_version` for a version this
    ///   build does not speak.
    public static func parseQuery(_ text: String?) throws(WireDecodingError) -> Int {
        guard let text else { return 1 }
        guard text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(text), (1...1_000).contains(value)
        else {
            throw WireDecodingError(
                kind: .invalidValue, path: "protocolVersion", reason: "must be an integer between 1 and 1000")
        }
        guard supported.contains(value) else {
            throw WireDecodingError(
                kind: .unsupportedVersion, path: "protocolVersion",
                reason: "protocol version \(value) is not supported (supported: \(supported))")
        }
        return value
    }
}
