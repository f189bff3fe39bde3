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
    init(text: String, base: String) {
        // Counting over the scalar views, without copying either text into an array: this runs once
        // per edited text field on every encode.
        let textScalars = text.unicodeScalars
        let baseScalars = base.unicodeScalars
        var prefix = 0
        var textIndex = textScalars.startIndex
        var baseIndex = baseScalars.startIndex
        while textIndex != textScalars.endIndex, baseIndex != baseScalars.endIndex,
            textScalars[textIndex] == baseScalars[baseIndex]
        {
            prefix += 1
            textScalars.formIndex(after: &textIndex)
            baseScalars.formIndex(after: &baseIndex)
        }
        let textStop = textIndex
        let baseStop = baseIndex
        var suffix = 0
        var textEnd = textScalars.endIndex
        var baseEnd = baseScalars.endIndex
        while textEnd != textStop, baseEnd != baseStop {
            let textPrevious = textScalars.index(before: textEnd)
            let basePrevious = baseScalars.index(before: baseEnd)
            guard textScalars[textPrevious] == baseScalars[basePrevious] else { break }
            suffix += 1
            textEnd = textPrevious
            baseEnd = basePrevious
        }
        self.prefix = prefix
        self.suffix = suffix
        self.middle = String(baseScalars[baseStop..<baseEnd])
    }

    /// The base, or `nil` when the patch does not fit `text` or is not the canonical one.
    ///
    /// Canonical means the prefix and the suffix cannot grow: it is enough to compare the scalars at
    /// the two boundaries, so validation walks the text once and builds nothing but the base.
    func base(of text: String) -> String? {
        let scalars = text.unicodeScalars
        guard prefix >= 0, suffix >= 0 else { return nil }
        guard let prefixEnd = scalars.index(scalars.startIndex, offsetBy: prefix, limitedBy: scalars.endIndex) else {
            return nil
        }
        var suffixStart = scalars.endIndex
        for _ in 0..<suffix {
            guard suffixStart != prefixEnd else { return nil }
            scalars.formIndex(before: &suffixStart)
        }
        let middleScalars = middle.unicodeScalars
        // The prefix is maximal: the base's next scalar (after `prefix`) differs from the text's.
        let baseNext = middleScalars.first ?? (suffix > 0 ? scalars[suffixStart] : nil)
        if prefixEnd != scalars.endIndex, let baseNext, baseNext == scalars[prefixEnd] { return nil }
        // The suffix is maximal: before it, the text's scalar (still past the prefix) differs from
        // the base's, which is the last scalar of `middle` (with an empty middle the base ends there).
        if suffixStart != prefixEnd, let baseLast = middleScalars.last,
            baseLast == scalars[scalars.index(before: suffixStart)]
        {
            return nil
        }
        var base = String.UnicodeScalarView()
        base.append(contentsOf: scalars[..<prefixEnd])
        base.append(contentsOf: middleScalars)
        base.append(contentsOf: scalars[suffixStart...])
        return String(base)
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
