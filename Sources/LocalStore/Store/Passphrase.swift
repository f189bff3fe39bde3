import Foundation

/// A passphrase held as bytes that are overwritten when the value is released.
///
/// Swift strings cannot be wiped, so the store accepts passphrases as `Passphrase` and keeps them no longer
/// than the call that needs them.
public final class Passphrase: @unchecked Sendable {
    fileprivate var bytes: [UInt8]

    /// Creates a passphrase from UTF-8 text. Trailing newlines (as read from a file) are not removed here.
    public init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// Creates a passphrase from raw bytes.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Whether the passphrase is empty.
    public var isEmpty: Bool { bytes.isEmpty }

    /// Whether two passphrases are the same bytes (used to confirm a new passphrase typed twice).
    public func matches(_ other: Passphrase) -> Bool {
        guard bytes.count == other.bytes.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(bytes, other.bytes) { difference |= left ^ right }
        return difference == 0
    }

    /// Calls `body` with the passphrase bytes; the pointer is valid only inside `body`.
    func withBytes<R>(_ body: (UnsafePointer<CChar>, Int) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { chars in
                // An empty array may have a nil base address; hand the C side a valid empty string instead.
                if let base = chars.baseAddress {
                    return try body(base, chars.count)
                }
                return try "".withCString { try body($0, 0) }
            }
        }
    }

    deinit {
        bytes.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            // memset_s is not on Linux; a volatile-style loop through a raw pointer the optimizer keeps.
            let raw = UnsafeMutableRawPointer(base)
            for index in 0..<buffer.count { raw.storeBytes(of: 0, toByteOffset: index, as: UInt8.self) }
        }
    }
}
