/// A version vector: for each replica, how many of its writes to one record have been seen.
///
/// Each record carries its own vector. Only replica `r` ever increments entry `r`, and a replica's
/// writes are seen in order (states merge whole), so `self[r] == n` means "has seen writes
/// 1...n of replica `r`". Entries that are zero are never stored.
///
/// ```swift
/// var clock = VersionVector()
/// let dot = clock.increment(laptop)        // laptop:1
/// clock.compare(VersionVector())           // .after
/// ```
///
/// Canonical JSON: an object mapping replica id to counter, keys in byte order, zero entries
/// omitted, e.g. `{"k3v9q2m7x1ab":3,"server":1}`. The empty vector is `{}`.
public struct VersionVector: Hashable, Sendable {
    /// The non-zero entries.
    public private(set) var entries: [ReplicaID: UInt64]

    /// The empty vector: has seen nothing.
    public init() {
        entries = [:]
    }

    /// A vector from explicit entries; zero entries are dropped.
    public init(_ entries: [ReplicaID: UInt64]) {
        self.entries = entries.filter { $0.value > 0 }
    }

    /// How many writes of `replica` have been seen (0 if none).
    public subscript(replica: ReplicaID) -> UInt64 {
        get { entries[replica] ?? 0 }
        set { entries[replica] = newValue == 0 ? nil : newValue }
    }

    /// Whether no write has been seen.
    public var isEmpty: Bool { entries.isEmpty }

    /// The replicas with a non-zero entry, in byte order.
    public var replicas: [ReplicaID] { entries.keys.sorted() }

    /// Records a new local write by `replica` and returns its dot.
    @discardableResult
    public mutating func increment(_ replica: ReplicaID) -> Dot {
        let next = self[replica] + 1
        self[replica] = next
        return Dot(replica: replica, counter: next)
    }

    /// Whether the write named by `dot` has been seen.
    public func contains(_ dot: Dot) -> Bool {
        self[dot.replica] >= dot.counter
    }

    /// Takes the entry-wise maximum (the least upper bound): afterwards `self` has seen
    /// everything either side had seen.
    public mutating func merge(_ other: VersionVector) {
        for (replica, counter) in other.entries where counter > self[replica] {
            entries[replica] = counter
        }
    }

    /// The entry-wise maximum of `self` and `other`.
    public func merging(_ other: VersionVector) -> VersionVector {
        var result = self
        result.merge(other)
        return result
    }

    /// The entry-wise minimum: what both sides have seen (the greatest lower bound).
    public func intersecting(_ other: VersionVector) -> VersionVector {
        var result = VersionVector()
        for (replica, counter) in entries {
            result[replica] = Swift.min(counter, other[replica])
        }
        return result
    }

    /// How `self` relates to `other` in the happened-before order.
    public func compare(_ other: VersionVector) -> CausalOrder {
        var selfAhead = false
        var otherAhead = false
        for (replica, counter) in entries {
            let theirs = other[replica]
            if counter > theirs { selfAhead = true } else if counter < theirs { otherAhead = true }
        }
        if !otherAhead {
            // Entries only `other` has are ahead of our implicit zero.
            otherAhead = other.entries.keys.contains { entries[$0] == nil }
        }
        switch (selfAhead, otherAhead) {
        case (false, false): return .equal
        case (true, false): return .after
        case (false, true): return .before
        case (true, true): return .concurrent
        }
    }

    /// Whether `self` has seen everything `other` has (`self >= other`).
    public func dominates(_ other: VersionVector) -> Bool {
        other.entries.allSatisfy { self[$0.key] >= $0.value }
    }

    /// The sum of all entries: how many writes in total have been seen.
    public var totalCount: UInt64 {
        entries.values.reduce(0, &+)
    }
}

extension VersionVector: CustomStringConvertible {
    /// A short form for logs and test failures, e.g. `[laptop:3, server:1]`.
    public var description: String {
        "[" + replicas.map { "\($0.rawValue):\(self[$0])" }.joined(separator: ", ") + "]"
    }
}
