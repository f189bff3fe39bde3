/// How two clocks (or the states they describe) relate in the happened-before order.
public enum CausalOrder: String, Hashable, Sendable, Codable, CaseIterable {
    /// Both have seen exactly the same writes.
    case equal
    /// The left side is strictly older: the right side has seen everything it has, and more.
    case before
    /// The left side is strictly newer.
    case after
    /// Each side has seen a write the other has not.
    case concurrent

    /// The same relation seen from the other side (`before` <-> `after`).
    public var reversed: CausalOrder {
        switch self {
        case .before: .after
        case .after: .before
        case .equal, .concurrent: self
        }
    }
}
