import Foundation
import Synchronization

/// Token buckets keyed by device or address: each request takes one token, tokens refill over time.
///
/// State lives in this process only: with several server processes each enforces its own budget, which
/// bounds a device's rate at the budget times the number of processes (good enough against a runaway
/// client; a shared limiter would cost a database round trip per request).
public final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let burst: Double
    private let perSecond: Double
    private let buckets = Mutex<[String: Bucket]>([:])
    /// Above this many buckets, full (idle) ones are dropped, so the table cannot grow without bound.
    private let pruneThreshold = 10_000

    /// Creates a limiter with `burst` tokens per key, refilled at `perSecond` tokens per second.
    public init(burst: Double, perSecond: Double) {
        self.burst = max(1, burst)
        self.perSecond = max(0.001, perSecond)
    }

    /// Takes a token for `key`; returns `nil` if allowed, or the whole seconds to wait if not.
    public func acquire(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            bucket.tokens = min(burst, bucket.tokens + max(0, seconds) * perSecond)
            bucket.updated = now
            defer {
                buckets[key] = bucket
                if buckets.count > pruneThreshold { prune(&buckets, now: now) }
            }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
        }
    }

    private func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        let refillSeconds = burst / perSecond
        buckets = buckets.filter { _, bucket in
            let idle = now - bucket.updated
            return Double(idle.components.seconds) < refillSeconds
        }
    }
}
