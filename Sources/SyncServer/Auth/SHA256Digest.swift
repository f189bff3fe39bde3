import Crypto
import Foundation

/// SHA-256 (swift-crypto) in the two forms the server stores and compares: hex text and raw bytes.
enum SHA256Digest {
    /// The lowercase hex SHA-256 of `text`'s UTF-8 bytes.
    static func hex(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The SHA-256 of `message`.
    static func bytes(_ message: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: message))
    }
}
