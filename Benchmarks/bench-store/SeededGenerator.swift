import SyncProtocol

/// SyncProtocol's seeded generator, so every run inserts the same notes and reads the same ids.
typealias SeededGenerator = SplitMix64

/// Bounded sampling of its own keeps the sequence independent of the standard library's algorithms.
extension SplitMix64 {
    /// A value in `0..<bound` (Lemire's multiply-high; the tiny bias is irrelevant for test data).
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A value in `range`.
    mutating func inRange(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// A double in `[0, 1)` with 53 random bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// `true` with probability `probability`.
    mutating func chance(_ probability: Double) -> Bool {
        unit() < probability
    }
}
