import SyncProtocol

/// The seeded generator of tests and benchmarks: SyncProtocol's SplitMix64, so a failing property test, a
/// differential run or a benchmark's data replays exactly from its seed.
public typealias SeededGenerator = SplitMix64

/// Choices made with a seeded generator. `below`, `inRange` and `unit` sample on their own (not with the standard
/// library's algorithms, which may change), so a benchmark's data stays the same across toolchains.
extension SplitMix64 {
    /// A value in `0..<bound` (Lemire's multiply-high; the tiny bias is irrelevant for test data).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A value in `range`.
    public mutating func inRange(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// A double in `[0, 1)` with 53 random bits.
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// `true` with probability `probability`, drawn with the standard library's `Double.random(in:using:)` (the
    /// property tests' seeds were chosen with it; `unit() < probability` is the toolchain-independent choice).
    public mutating func chance(_ probability: Double) -> Bool {
        Double.random(in: 0..<1, using: &self) < probability
    }

    /// One of `items`, chosen with the standard library's `Int.random(in:using:)`.
    public mutating func pick<T>(_ items: [T]) -> T {
        items[Int.random(in: 0..<items.count, using: &self)]
    }
}
