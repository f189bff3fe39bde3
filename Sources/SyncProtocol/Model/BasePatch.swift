/// The base of a text write, encoded as a patch of the written text: the base is the first
/// `prefix` Unicode scalars of the text, then `middle`, then the last `suffix` scalars.
///
/// A base is usually the text minus a small local edit, so this keeps an edited note from
/// carrying its text twice on the wire. `prefix` is the longest common prefix of text and base
/// and `suffix` the longest common suffix of what remains, so the patch is unique (canonical).
/// JSON: `[prefix, suffix, "middle"]`, shortened to `[prefix, suffix]` when `middle` is empty and
/// to `[prefix]` when `suffix` is 0 too (an edit that only appended, the most common one).
struct BasePatch: Hashable, Sendable, Codable {
    var prefix: Int
    var suffix: Int
    var middle: String

    init(prefix: Int, suffix: Int, middle: String) {
        self.prefix = prefix
        self.suffix = suffix
        self.middle = middle
    }

    /// The patch that turns `text` into `base`.
    ///
    /// Works on the UTF-8 bytes: two scalars are equal exactly when their encodings are, so the longest
    /// common byte prefix, moved back to a scalar boundary, is the longest common scalar prefix (and the
    /// same for the suffix). This runs once per edited text field on every encode, so it copies nothing.
    init(text: String, base: String) {
        var text = text
        var base = base
        var counts = (prefix: 0, suffix: 0)
        var middle = ""
        text.withUTF8 { textBytes in
            base.withUTF8 { baseBytes in
                let shorter = min(textBytes.count, baseBytes.count)
                var prefixEnd = 0
                while prefixEnd < shorter, textBytes[prefixEnd] == baseBytes[prefixEnd] { prefixEnd += 1 }
                while prefixEnd > 0,
                    (prefixEnd < textBytes.count && UTF8.isContinuation(textBytes[prefixEnd]))
                        || (prefixEnd < baseBytes.count && UTF8.isContinuation(baseBytes[prefixEnd]))
                {
                    prefixEnd -= 1
                }
                var suffixLength = 0
                while suffixLength < textBytes.count - prefixEnd, suffixLength < baseBytes.count - prefixEnd,
                    textBytes[textBytes.count - 1 - suffixLength] == baseBytes[baseBytes.count - 1 - suffixLength]
                {
                    suffixLength += 1
                }
                while suffixLength > 0, UTF8.isContinuation(textBytes[textBytes.count - suffixLength]) {
                    suffixLength -= 1
                }
                counts.prefix = Self.scalarCount(UnsafeBufferPointer(rebasing: textBytes[..<prefixEnd]))
                counts.suffix = Self.scalarCount(
                    UnsafeBufferPointer(rebasing: textBytes[(textBytes.count - suffixLength)...]))
                middle = String(
                    decoding: UnsafeBufferPointer(rebasing: baseBytes[prefixEnd..<(baseBytes.count - suffixLength)]),
                    as: UTF8.self)
            }
        }
        self.prefix = counts.prefix
        self.suffix = counts.suffix
        self.middle = middle
    }

    /// The base, or `nil` when the patch does not fit `text` or is not the canonical one.
    ///
    /// Canonical means the prefix and the suffix cannot grow: it is enough to compare the scalars at
    /// the two boundaries, so validation walks the text's bytes once and builds nothing but the base.
    func base(of text: String) -> String? {
        guard prefix >= 0, suffix >= 0 else { return nil }
        var text = text
        var middle = middle
        return text.withUTF8 { textBytes in
            middle.withUTF8 { middleBytes -> String? in
                // Byte offsets of the prefix's end and the suffix's start.
                var prefixEnd = 0
                for _ in 0..<prefix {
                    guard prefixEnd < textBytes.count else { return nil }
                    prefixEnd = Self.scalarEnd(textBytes, from: prefixEnd)
                }
                var suffixStart = textBytes.count
                for _ in 0..<suffix {
                    guard suffixStart > prefixEnd else { return nil }
                    suffixStart = Self.scalarStart(textBytes, before: suffixStart)
                }
                // The prefix is maximal: the base's next scalar (after `prefix`) differs from the text's.
                if prefixEnd < textBytes.count {
                    let textNext = prefixEnd..<Self.scalarEnd(textBytes, from: prefixEnd)
                    if !middleBytes.isEmpty {
                        let next = 0..<Self.scalarEnd(middleBytes, from: 0)
                        if Self.equal(textBytes, textNext, middleBytes, next) { return nil }
                    } else if suffix > 0 {
                        let next = suffixStart..<Self.scalarEnd(textBytes, from: suffixStart)
                        if Self.equal(textBytes, textNext, textBytes, next) { return nil }
                    }
                }
                // The suffix is maximal: before it, the text's scalar (still past the prefix) differs from
                // the base's, the last scalar of `middle` (with an empty middle the base ends there).
                if suffixStart > prefixEnd, !middleBytes.isEmpty {
                    let textLast = Self.scalarStart(textBytes, before: suffixStart)..<suffixStart
                    let last = Self.scalarStart(middleBytes, before: middleBytes.count)..<middleBytes.count
                    if Self.equal(textBytes, textLast, middleBytes, last) { return nil }
                }
                let suffixLength = textBytes.count - suffixStart
                return String(unsafeUninitializedCapacity: prefixEnd + middleBytes.count + suffixLength) { out in
                    _ = out.initialize(from: textBytes[..<prefixEnd])
                    _ = UnsafeMutableBufferPointer(rebasing: out[prefixEnd...]).initialize(from: middleBytes)
                    _ = UnsafeMutableBufferPointer(rebasing: out[(prefixEnd + middleBytes.count)...])
                        .initialize(from: textBytes[suffixStart...])
                    return prefixEnd + middleBytes.count + suffixLength
                }
            }
        }
    }

    private static func scalarCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        for byte in bytes where !UTF8.isContinuation(byte) { count += 1 }
        return count
    }

    private static func scalarEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var end = start + 1
        while end < bytes.count, UTF8.isContinuation(bytes[end]) { end += 1 }
        return end
    }

    private static func scalarStart(_ bytes: UnsafeBufferPointer<UInt8>, before end: Int) -> Int {
        var start = end - 1
        while start > 0, UTF8.isContinuation(bytes[start]) { start -= 1 }
        return start
    }

    private static func equal(
        _ left: UnsafeBufferPointer<UInt8>, _ leftRange: Range<Int>,
        _ right: UnsafeBufferPointer<UInt8>, _ rightRange: Range<Int>
    ) -> Bool {
        leftRange.count == rightRange.count && left[leftRange].elementsEqual(right[rightRange])
    }

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        prefix = try container.decode(Int.self)
        suffix = container.isAtEnd ? 0 : try container.decode(Int.self)
        middle = container.isAtEnd ? "" : try container.decode(String.self)
        guard container.isAtEnd else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "a base is [prefix, suffix, middle]")
        }
        guard isShortest(count: container.count ?? 3) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "a base patch leaves out an empty middle and a zero suffix")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(prefix)
        if suffix != 0 || !middle.isEmpty { try container.encode(suffix) }
        if !middle.isEmpty { try container.encode(middle) }
    }

    /// The number of JSON array elements of the canonical (shortest) spelling.
    var elementCount: Int { !middle.isEmpty ? 3 : (suffix != 0 ? 2 : 1) }

    /// Whether a spelling with `count` elements is the canonical one, so equal patches have equal bytes.
    func isShortest(count: Int) -> Bool { count == elementCount }
}
