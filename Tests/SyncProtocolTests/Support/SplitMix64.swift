import Foundation

/// A small seeded generator (SplitMix64), so every random history can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ probability: Double) -> Bool {
        Double.random(in: 0..<1, using: &self) < probability
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[Int.random(in: 0..<items.count, using: &self)]
    }
}

/// Seeds for property tests: a fixed base (so CI is reproducible) unless `FIELDSYNC_SEED` is set,
/// in which case only that seed runs (to replay a failure).
enum PropertySeeds {
    static func seeds(count: Int, salt: UInt64) -> [UInt64] {
        if let text = ProcessInfo.processInfo.environment["FIELDSYNC_SEED"], let seed = UInt64(text) {
            return [seed]
        }
        var generator = SplitMix64(seed: 0x5EED_0000 ^ salt)
        return (0..<count).map { _ in generator.next() }
    }
}
