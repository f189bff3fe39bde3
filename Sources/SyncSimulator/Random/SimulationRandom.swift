import Foundation

/// The simulation's only source of randomness: xoshiro256** seeded through SplitMix64.
///
/// Every decision of a run (schedule, faults, workload) draws from generators derived from the run's
/// seed, so the same seed replays the same run event for event. Each stream (the schedule, each
/// device) gets its own generator, split off with ``split(_:)``, so adding a draw in one stream does
/// not shift every other stream.
///
/// ```swift
/// var random = SimulationRandom(seed: 42)
/// let coin = random.chance(0.5)
/// var device = random.split(7)
/// ```
public struct SimulationRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Creates a generator whose whole sequence is fixed by `seed`.
    public init(seed: UInt64) {
        var mixer = seed
        s0 = Self.splitMix(&mixer)
        s1 = Self.splitMix(&mixer)
        s2 = Self.splitMix(&mixer)
        s3 = Self.splitMix(&mixer)
        // xoshiro must not start from all zeros; SplitMix64 never yields four zeros, but be explicit.
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotate(s3, 45)
        return result
    }

    /// An independent generator for stream `stream`, derived from this generator's seed material
    /// without advancing it.
    public func split(_ stream: UInt64) -> SimulationRandom {
        SimulationRandom(seed: s0 ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ rotate(s2, 23))
    }

    /// A uniform draw in `[0, 1)` with 53 bits of precision.
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Whether an event of probability `p` happens.
    public mutating func chance(_ p: Double) -> Bool {
        p > 0 && unit() < p
    }

    /// A uniform integer in `range`.
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        Int.random(in: range, using: &self)
    }

    /// A uniform integer in `range`.
    public mutating func int(_ range: Range<Int>) -> Int {
        Int.random(in: range, using: &self)
    }

    /// A uniform element of a non-empty collection.
    public mutating func pick<C: RandomAccessCollection>(_ items: C) -> C.Element {
        let offset = Int.random(in: 0..<items.count, using: &self)
        return items[items.index(items.startIndex, offsetBy: offset)]
    }

    /// An exponentially distributed duration with mean `mean` (milliseconds), at least 1.
    public mutating func exponential(mean: Int64) -> Int64 {
        let u = 1 - unit()
        return max(1, Int64((-Double(mean) * log(u)).rounded()))
    }

    /// A lowercase hex string of `length` characters.
    public mutating func hex(_ length: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<length).map { _ in digits[Int(next() & 15)] })
    }

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
}
