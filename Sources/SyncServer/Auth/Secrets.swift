/// Random secrets handed out by the server: device tokens and enrolment codes.
///
/// Only their SHA-256 digests are stored, so reading the database does not let anyone act as a device.
/// `SystemRandomNumberGenerator` reads the kernel's CSPRNG (`getrandom` on Linux).
public enum Secrets {
    /// The number of random bytes in a device token.
    public static let tokenByteCount = 32

    /// The letters of an enrolment code: no `0/O`, `1/I/L` or `U`, so a code read aloud or copied from
    /// paper is hard to get wrong.
    static let codeAlphabet = Array("ABCDEFGHJKMNPQRSTVWXYZ23456789")

    /// The number of significant characters in an enrolment code (about 59 bits with the alphabet above).
    public static let codeLength = 12

    /// A new device token: 32 random bytes, base64url without padding (43 characters).
    public static func makeDeviceToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<tokenByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return base64URL(bytes)
    }

    /// A new one-time enrolment code such as `K7QM-3XPT-W9DA`.
    public static func makeEnrolmentCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let letters = (0..<codeLength).map { _ in codeAlphabet.randomElement(using: &generator)! }
        return stride(from: 0, to: codeLength, by: 4).map { String(letters[$0..<min($0 + 4, codeLength)]) }
            .joined(separator: "-")
    }

    /// The digest under which a device token is stored.
    public static func tokenDigest(_ token: String) -> String {
        SHA256Digest.hex("device-token:" + token)
    }

    /// The digest under which an enrolment code is stored; case, spaces and dashes do not matter.
    public static func enrolmentCodeDigest(_ code: String) -> String {
        let normalized = code.uppercased().filter { $0 != "-" && !$0.isWhitespace }
        return SHA256Digest.hex("enrolment-code:" + normalized)
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var output = ""
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { output.append(table[Int((chunk >> UInt32(shift)) & 63)]) }
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            var chunk = UInt32(bytes[index]) << 16
            if rest == 2 { chunk |= UInt32(bytes[index + 1]) << 8 }
            let shifts = rest == 1 ? [18, 12] : [18, 12, 6]
            for shift in shifts { output.append(table[Int((chunk >> UInt32(shift)) & 63)]) }
        }
        return output
    }
}
