/// The base of a text write, encoded as a patch of the written text: the base is the first
/// `prefix` Unicode scalars of the text, then `middle`, then the last `suffix` scalars.
///
/// A base is usually the text minus a small local edit, so this keeps an edited note from
/// carrying its text twice on the wire. `prefix` is the longest common prefix of text and base
/// and `suffix` the longest common suffix of what remains, so the patch is unique (canonical).
/// JSON: `[prefix, suffix, "middle"]`.
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
        let textScalars = Array(text.unicodeScalars)
        let baseScalars = Array(base.unicodeScalars)
        var prefix = 0
        while prefix < textScalars.count && prefix < baseScalars.count && textScalars[prefix] == baseScalars[prefix] {
            prefix += 1
        }
        var suffix = 0
        while suffix < textScalars.count - prefix && suffix < baseScalars.count - prefix
            && textScalars[textScalars.count - 1 - suffix] == baseScalars[baseScalars.count - 1 - suffix]
        {
            suffix += 1
        }
        self.prefix = prefix
        self.suffix = suffix
        var middle = String.UnicodeScalarView()
        middle.append(contentsOf: baseScalars[prefix..<(baseScalars.count - suffix)])
        self.middle = String(middle)
    }

    /// The base, or `nil` when the patch does not fit `text` or is not the canonical one.
    func base(of text: String) -> String? {
        let textScalars = Array(text.unicodeScalars)
        guard prefix >= 0, suffix >= 0, prefix + suffix <= textScalars.count else { return nil }
        var base = String.UnicodeScalarView()
        base.append(contentsOf: textScalars[..<prefix])
        base.append(contentsOf: middle.unicodeScalars)
        base.append(contentsOf: textScalars[(textScalars.count - suffix)...])
        let result = String(base)
        return BasePatch(text: text, base: result) == self ? result : nil
    }

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        prefix = try container.decode(Int.self)
        suffix = try container.decode(Int.self)
        middle = try container.decode(String.self)
        guard container.isAtEnd else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "a base is [prefix, suffix, middle]")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(prefix)
        try container.encode(suffix)
        try container.encode(middle)
    }
}
