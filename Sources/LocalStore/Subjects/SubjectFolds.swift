import SyncProtocol

/// Where each folded subject's notes belong: the rule of merge.md, "Duplicate subjects".
///
/// A subject merged into another (`subject merge KEEP OTHER`) keeps a `mergedInto` reference to the subject it
/// was folded into. Notes that still name the folded subject — written offline on a device that had not yet seen
/// the merge — are shown under the subject at the end of the chain. Every subject has at most one `mergedInto`
/// value, so following it from any subject either ends at a subject that is not folded, or runs into a cycle
/// (two devices merged A into B and B into A at the same time). In a cycle, the subject whose id is smallest in
/// UTF-8 byte order is kept: its own `mergedInto` is ignored, and everything that leads into the cycle ends there.
/// The answer depends only on the set of `mergedInto` values, so every replica that holds the same records shows
/// the same subjects, whatever order they arrived in.
///
/// ```swift
/// let folds = SubjectFolds(["b": "a", "a": "b", "c": "b"])
/// folds.keptID(of: "c")   // "a": the cycle a <-> b keeps a, the smaller id
/// folds.isFolded("a")     // false: a's mergedInto is ignored
/// ```
public struct SubjectFolds: Equatable, Sendable {
    /// The subject each folded subject's notes are shown under (never an entry for a subject that is not folded).
    public let kept: [String: String]
    /// The subjects that name another in `mergedInto` but are kept all the same, because they are the smallest id
    /// of a cycle (a subject that names itself is one too).
    public let keptDespiteMergedInto: Set<String>

    /// Works out the folds from every subject's `mergedInto` value (subject id -> the id it names).
    public init(_ mergedInto: [String: String]) {
        var kept: [String: String] = [:]
        var cycleRoots: Set<String> = []
        for start in mergedInto.keys where kept[start] == nil && !cycleRoots.contains(start) {
            // Walk the chain until it ends, meets a subject already decided, or comes back on itself.
            var path: [String] = []
            var position: [String: Int] = [:]
            var current = start
            var end: String
            while true {
                if let known = kept[current] {
                    end = known
                    break
                }
                if cycleRoots.contains(current) {
                    end = current
                    break
                }
                if let index = position[current] {
                    let cycle = path[index...]
                    end = cycle.min(by: Self.precedesInByteOrder)!
                    cycleRoots.insert(end)
                    break
                }
                guard let next = mergedInto[current] else {
                    end = current
                    break
                }
                position[current] = path.count
                path.append(current)
                current = next
            }
            for id in path where id != end { kept[id] = end }
        }
        self.kept = kept
        keptDespiteMergedInto = cycleRoots
    }

    /// Works out the folds from subject records as they are shown (``mergedInto(of:)``).
    public init(records: [SyncProtocol.Record]) {
        var mergedInto: [String: String] = [:]
        for record in records {
            if let target = Self.mergedInto(of: record) { mergedInto[record.id] = target }
        }
        self.init(mergedInto)
    }

    /// The subject a subject record was merged into: the shown value of its `mergedInto` field (while the field is
    /// in conflict, the view's placeholder, so every replica reads the same), live or deleted; none when the field
    /// is absent or cleared, or the record is purged.
    public static func mergedInto(of record: SyncProtocol.Record) -> String? {
        guard record.collection == ScopeFields.subjects, !record.isPurged,
            case .reference(let target)? = record.value(ScopeFields.mergedInto)
        else { return nil }
        return target
    }

    /// The subject whose notes include those of `id`: `id` itself unless it is folded.
    public func keptID(of id: String) -> String { kept[id] ?? id }

    /// Whether `id` is folded into another subject (and is therefore not shown as a subject of its own).
    public func isFolded(_ id: String) -> Bool { kept[id] != nil }

    /// Every subject folded into `id`, directly or along a chain.
    public func folded(into id: String) -> [String] {
        kept.filter { $0.value == id }.map(\.key).sorted(by: Self.precedesInByteOrder)
    }

    /// Record ids compare by their UTF-8 bytes, as the protocol orders replica ids and dots.
    public static func precedesInByteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
