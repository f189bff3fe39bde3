import Foundation

import SyncProtocol

/// Choices the property tests make with SyncProtocol's seeded generator.
extension SplitMix64 {
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
