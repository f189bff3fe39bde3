import Foundation
import SyncProtocol

/// The merge the simulated server applies to a pushed record and its stored version.
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

    /// A deliberately broken merge, as in systems that replace a whole record by the latest copy:
    /// when the two versions are concurrent, the one with more writes wins whole, under a clock that
    /// claims to have seen both. The loser's concurrent writes vanish without a trace.
    public static let lastWriterWins = MergeFunction(name: "last-writer-wins") { stored, pushed in
        switch stored.compare(pushed) {
        case .equal, .after: return stored.merged(with: pushed)
        case .before: return stored.merged(with: pushed)
        case .concurrent:
            let storedWins = stored.clock.totalCount > pushed.clock.totalCount
            let winner = storedWins ? stored : pushed
            return (try? winner.withClock(stored.clock.merging(pushed.clock))) ?? stored.merged(with: pushed)
        }
    }
}

extension Record {
    /// This record's content under another clock. Only wrong merges need this: the model itself never
    /// lets a clock change without a write, so it goes through the record's JSON form.
    func withClock(_ clock: VersionVector) throws -> Record {
        let data = try JSONEncoder().encode(self)
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return self }
        object["clock"] = try JSONSerialization.jsonObject(with: JSONEncoder().encode(clock))
        return try JSONDecoder().decode(Record.self, from: JSONSerialization.data(withJSONObject: object))
    }
}
