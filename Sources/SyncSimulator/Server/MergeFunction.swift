import SyncProtocol

/// The merge the simulated server (the shipped ``SyncService``) applies to a pushed record and its stored version.
///
/// The default is the protocol's own ``Record/merged(with:)``. Tests swap in a wrong one to prove the
/// oracle notices lost writes; a user of the kit can also try a merge of their own here.
public struct MergeFunction: Sendable {
    /// A name for reports.
    public var name: String
    /// Merges the stored version (first) with the pushed one (second).
    public var merge: @Sendable (_ stored: Record, _ pushed: Record) -> Record
    /// Whether this is the protocol's merge (the server is then used exactly as shipped).
    public var isStandard: Bool

    /// A custom merge.
    public init(name: String, merge: @escaping @Sendable (_ stored: Record, _ pushed: Record) -> Record) {
        self.name = name
        self.merge = merge
        self.isStandard = false
    }

    private init(standardNamed name: String) {
        self.name = name
        self.merge = { $0.merged(with: $1) }
        self.isStandard = true
    }

    /// The protocol's causal merge.
    public static let standard = MergeFunction(standardNamed: "causal")

    /// A deliberately broken merge, as in systems where the latest copy of a record replaces the others
    /// whole: when the two versions are concurrent, the one with more writes wins, and the server writes its
    /// values over the loser's (one server write covering both), so the loser's concurrent edits vanish.
    public static let lastWriterWins = MergeFunction(name: "last-writer-wins") { stored, pushed in
        let merged = stored.merged(with: pushed)
        guard stored.compare(pushed) == .concurrent, !merged.isPurged else { return merged }
        let winner = stored.clock.totalCount > pushed.clock.totalCount ? stored : pushed
        var values: [String: FieldValue] = [:]
        for name in merged.fieldNames {
            if merged.tagSets[name] != nil {
                values[name] = .tags(winner.value(name)?.tagsValue ?? [])
            } else {
                values[name] = winner.value(name) ?? .null
            }
        }
        return merged.updating(values, by: SimulatedServer.replica)
    }
}
