// Every file of the protocol tests sees the shared test support (the seeded generator's `chance` and `pick`)
// without importing it.
@_exported import FieldsyncTestSupport
import Foundation
import SyncProtocol

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
