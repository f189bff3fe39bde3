/// How often and how patiently the engine repeats a request that failed transiently.
///
/// The delay before retry `n` (1-based) is drawn uniformly from `[d/2, d]` with
/// `d = min(maxDelay, baseDelay * 2^(n-1))` ("equal jitter"), so devices that lost the network at the
/// same moment do not come back in lockstep. A server's `Retry-After` raises the delay to at least
/// what it asked for.
public struct RetryPolicy: Sendable, Hashable {
    /// Total attempts per request, including the first; 1 disables retries.
    public var maxAttempts: Int
    /// The delay scale of the first retry.
    public var baseDelay: Duration
    /// The largest computed delay.
    public var maxDelay: Duration
    /// The longest `Retry-After` the engine honours; a longer one ends the sync with the error instead.
    public var maxRetryAfter: Duration

    /// Creates a policy.
    public init(
        maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(15),
        maxRetryAfter: Duration = .seconds(120)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// The delay before retry number `retry` (1 for the first retry), given a jitter draw in `[0, 1)`.
    public func delay(beforeRetry retry: Int, jitter: Double, retryAfter: Duration? = nil) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        var ceiling = baseDelay * (1 << exponent)
        if ceiling > maxDelay { ceiling = maxDelay }
        let fraction = 0.5 + 0.5 * min(max(jitter, 0), 1)
        let computed = ceiling * fraction
        if let retryAfter, retryAfter > computed { return retryAfter }
        return computed
    }
}

/// The engine's only contact with time and randomness, injectable so tests run instantly and
/// deterministically.
public struct SyncEnvironment: Sendable {
    /// Waits for a duration (throws `CancellationError` when the task is cancelled).
    public var sleep: @Sendable (Duration) async throws -> Void
    /// A uniform draw in `[0, 1)`, for backoff jitter.
    public var random: @Sendable () -> Double
    /// A monotonic reading, for the duration of a sync.
    public var now: @Sendable () -> ContinuousClock.Instant
    /// A fresh, unique batch id.
    public var makeBatchID: @Sendable () -> String

    /// Creates an environment.
    public init(
        sleep: @escaping @Sendable (Duration) async throws -> Void,
        random: @escaping @Sendable () -> Double,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        makeBatchID: @escaping @Sendable () -> String
    ) {
        self.sleep = sleep
        self.random = random
        self.now = now
        self.makeBatchID = makeBatchID
    }

    /// Real time, system randomness and random 128-bit batch ids.
    public static let live = SyncEnvironment(
        sleep: { try await Task.sleep(for: $0) },
        random: { Double.random(in: 0..<1) },
        makeBatchID: { randomBatchID() }
    )

    /// A batch id of 26 lowercase base32 characters (130 random bits), prefixed `b-`.
    public static func randomBatchID() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        return "b-" + String((0..<26).map { _ in alphabet[Int.random(in: 0..<32, using: &generator)] })
    }
}
