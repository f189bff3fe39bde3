/// A line-based three-way merge (diff3) of two edits of the same base text.
///
/// Lines keep their terminators, so the result reproduces the inputs byte for byte where they
/// agree (including a missing final newline). Both edits are diffed against the base by a
/// longest common subsequence of lines; lines matched in all three texts are stable, and each
/// region between stable lines is taken from the side that changed it. A region changed on
/// both sides differently is an overlap: the merge gives up (`nil`), and the caller keeps both
/// versions as a conflict. Changes to adjacent lines count as overlapping, as in diff3 and git.
///
/// ```swift
/// let base = "a\nb\nc\n"
/// ThreeWayMerge.merge(base: base, ours: "A\nb\nc\n", theirs: "a\nb\nC\n")   // "A\nb\nC\n"
/// ThreeWayMerge.merge(base: base, ours: "X\nb\nc\n", theirs: "Y\nb\nc\n")   // nil
/// ```
public enum ThreeWayMerge {
    /// The largest line-comparison table (after trimming common ends) the merge will build;
    /// beyond it the merge reports an overlap rather than spend unbounded time and memory.
    public static let maxTableCells = 4_000_000

    /// How much line comparison a caller lets a series of merges spend, in table cells.
    ///
    /// A merge's cost grows with the product of the changed regions' line counts (at most
    /// ``ThreeWayMerge/maxTableCells`` per table, two tables per merge). A server that merges for
    /// many records in one request bounds the sum with a budget: once a merge would exceed what is
    /// left, it is not computed and the budget is ``isExhausted``.
    public struct Budget: Sendable, Hashable {
        /// The cells still available.
        public private(set) var remainingCells: Int
        /// Whether a merge was left uncomputed because its table did not fit in what remained.
        public private(set) var isExhausted = false
        /// How many merges were refused for want of cells.
        private(set) var refusals = 0

        /// A budget of `cells` table cells.
        public init(cells: Int) {
            remainingCells = cells
        }

        /// Takes `cells` from the budget; `false` (and exhausted) when fewer remain.
        mutating func spend(_ cells: Int) -> Bool {
            guard cells <= remainingCells else {
                isExhausted = true
                refusals += 1
                return false
            }
            remainingCells -= cells
            return true
        }
    }

    /// Merges `ours` and `theirs`, both derived from `base`; `nil` when the edits overlap.
    public static func merge(base: String, ours: String, theirs: String) -> String? {
        var unlimited: Budget? = nil
        return merge(base: base, ours: ours, theirs: theirs, budget: &unlimited)
    }

    /// ``merge(base:ours:theirs:)`` that spends its comparison tables from `budget` (none: no limit
    /// but ``maxTableCells``); `nil` also when the budget ran out (then ``Budget/isExhausted``).
    static func merge(base: String, ours: String, theirs: String, budget: inout Budget?) -> String? {
        if ours == theirs || theirs == base { return ours }
        if ours == base { return theirs }
        let baseLines = lines(of: base)
        let ourLines = lines(of: ours)
        let theirLines = lines(of: theirs)
        guard let toOurs = matching(baseLines, ourLines, budget: &budget),
            let toTheirs = matching(baseLines, theirLines, budget: &budget)
        else {
            return nil
        }
        var output: [Substring] = []
        var b = 0
        var o = 0
        var t = 0
        while true {
            // The next base line that both sides kept: the end of the current unstable region.
            var next = b
            while next < baseLines.count && (toOurs[next] < 0 || toTheirs[next] < 0) { next += 1 }
            let ourEnd = next < baseLines.count ? toOurs[next] : ourLines.count
            let theirEnd = next < baseLines.count ? toTheirs[next] : theirLines.count
            let baseRegion = baseLines[b..<next]
            let ourRegion = ourLines[o..<ourEnd]
            let theirRegion = theirLines[t..<theirEnd]
            if ourRegion.elementsEqual(baseRegion) {
                output.append(contentsOf: theirRegion)
            } else if theirRegion.elementsEqual(baseRegion) || ourRegion.elementsEqual(theirRegion) {
                output.append(contentsOf: ourRegion)
            } else {
                return nil
            }
            guard next < baseLines.count else { break }
            output.append(baseLines[next])
            b = next + 1
            o = ourEnd + 1
            t = theirEnd + 1
        }
        return output.joined()
    }

    /// The text split after each `\n`; a last line without a terminator is kept as is.
    static func lines(of text: String) -> [Substring] {
        var result: [Substring] = []
        var start = text.startIndex
        var index = start
        while index < text.endIndex {
            let after = text.index(after: index)
            if text[index] == "\n" {
                result.append(text[start..<after])
                start = after
            }
            index = after
        }
        if start < text.endIndex { result.append(text[start...]) }
        return result
    }

    /// For each line of `base`, the index of the line of `other` it is matched with in a longest
    /// common subsequence, or -1. `nil` if the table would be too large, or larger than what is
    /// left of `budget`.
    static func matching(_ base: [Substring], _ other: [Substring], budget: inout Budget?) -> [Int]? {
        var result = [Int](repeating: -1, count: base.count)
        // Common prefix and suffix are matched directly: edits to notes are usually local.
        var prefix = 0
        while prefix < base.count && prefix < other.count && base[prefix] == other[prefix] {
            result[prefix] = prefix
            prefix += 1
        }
        var suffix = 0
        while suffix < base.count - prefix && suffix < other.count - prefix
            && base[base.count - 1 - suffix] == other[other.count - 1 - suffix]
        {
            result[base.count - 1 - suffix] = other.count - 1 - suffix
            suffix += 1
        }
        let n = base.count - prefix - suffix
        let m = other.count - prefix - suffix
        guard n > 0 && m > 0 else { return result }
        guard n * m <= maxTableCells else { return nil }
        if budget != nil, budget?.spend(n * m) != true { return nil }
        // Hash lines to integers once; the table compares integers.
        var ids: [Substring: Int32] = [:]
        var baseKeys: [Int32] = []
        baseKeys.reserveCapacity(n)
        for line in base[prefix..<(prefix + n)] {
            if let id = ids[line] {
                baseKeys.append(id)
            } else {
                let id = Int32(ids.count)
                ids[line] = id
                baseKeys.append(id)
            }
        }
        // Lines that never occur in the base cannot match anything.
        let otherIDs = other[prefix..<(prefix + m)].map { ids[$0] ?? -1 }
        // lengths[i][j]: LCS length of base[i...] and other[j...] (suffix table, row-major).
        let width = m + 1
        var lengths = [Int32](repeating: 0, count: (n + 1) * width)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lengths[i * width + j] =
                    baseKeys[i] == otherIDs[j]
                    ? lengths[(i + 1) * width + j + 1] + 1
                    : Swift.max(lengths[(i + 1) * width + j], lengths[i * width + j + 1])
            }
        }
        var i = 0
        var j = 0
        while i < n && j < m {
            if baseKeys[i] == otherIDs[j] {
                result[prefix + i] = prefix + j
                i += 1
                j += 1
            } else if lengths[(i + 1) * width + j] >= lengths[i * width + j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        return result
    }
}
