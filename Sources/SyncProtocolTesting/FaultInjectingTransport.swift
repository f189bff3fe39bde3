import SyncProtocol

/// A transport that wraps another and misbehaves on purpose: loses requests, loses answers, delivers
/// requests twice, answers with errors. For tests of retries, idempotency and interrupted syncs.
///
/// Faults come from a script (the n-th call of an operation) and, for calls the script does not name,
/// from a seeded random profile, so a failing simulation can be replayed from its seed.
///
/// ```swift
/// let flaky = FaultInjectingTransport(wrapping: transport)
/// await flaky.schedule(.dropResponse, on: .push, call: 1)   // first push applied, answer lost
/// ```
public actor FaultInjectingTransport<Base: SyncTransport>: SyncTransport {
    /// The three calls of the protocol.
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        /// The `hello`, `push` and `pull` calls.
        case hello, push, pull
    }

    /// One kind of misbehaviour.
    public enum Fault: Sendable, Hashable {
        /// The request never reaches the server; the client sees a network error (retryable or not).
        case failBeforeDelivery(retryable: Bool)
        /// The server handles the request but the answer is lost: the client sees a retryable timeout.
        case dropResponse
        /// The request reaches the server twice; the client gets the second answer.
        case duplicate
        /// The server answers with this error body instead of handling the request.
        case error(ErrorBody)
    }

    /// Probabilities of faults for calls the script does not name.
    public struct Profile: Sendable, Hashable {
        /// Probability of ``Fault/failBeforeDelivery(retryable:)`` (retryable).
        public var failRate: Double
        /// Probability of ``Fault/dropResponse``.
        public var dropRate: Double
        /// Probability of ``Fault/duplicate``.
        public var duplicateRate: Double

        /// Creates a profile.
        public init(failRate: Double = 0, dropRate: Double = 0, duplicateRate: Double = 0) {
            self.failRate = failRate
            self.dropRate = dropRate
            self.duplicateRate = duplicateRate
        }
    }

    /// The wrapped transport.
    public nonisolated let base: Base
    private var script: [Operation: [Int: Fault]] = [:]
    private var calls: [Operation: Int] = [:]
    private var profile: Profile
    private var generator: SplitMix64
    /// Every fault injected, in order, with the operation and call number.
    public private(set) var injected: [(operation: Operation, call: Int, fault: Fault)] = []

    /// Wraps `base`; without a script or profile it behaves exactly like `base`.
    public init(wrapping base: Base, profile: Profile = Profile(), seed: UInt64 = 0) {
        self.base = base
        self.profile = profile
        self.generator = SplitMix64(seed: seed)
    }

    /// Injects `fault` on the `call`-th call (1-based, counted from the transport's creation) of `operation`.
    public func schedule(_ fault: Fault, on operation: Operation, call: Int) {
        script[operation, default: [:]][call] = fault
    }

    /// Replaces the random profile.
    public func setProfile(_ profile: Profile) {
        self.profile = profile
    }

    /// How many calls of `operation` were made.
    public func callCount(_ operation: Operation) -> Int {
        calls[operation] ?? 0
    }

    public func hello(_ request: HelloRequest) async throws -> HelloResponse {
        try await perform(.hello) { try await self.base.hello(request) }
    }

    public func push(_ batch: PushBatch, team: String) async throws -> PushResult {
        try await perform(.push) { try await self.base.push(batch, team: team) }
    }

    public func pull(_ request: PullRequest, team: String) async throws -> PullPage {
        try await perform(.pull) { try await self.base.pull(request, team: team) }
    }

    private func perform<Value: Sendable>(
        _ operation: Operation, _ call: @Sendable () async throws -> Value
    ) async throws -> Value {
        let number = (calls[operation] ?? 0) + 1
        calls[operation] = number
        guard let fault = script[operation]?[number] ?? randomFault() else { return try await call() }
        injected.append((operation, number, fault))
        switch fault {
        case .failBeforeDelivery(let retryable):
            throw SyncTransportError(
                kind: retryable ? .unreachable : .invalidResponse,
                message: "injected: \(operation) call \(number) failed before delivery"
            )
        case .dropResponse:
            _ = try await call()
            throw SyncTransportError(kind: .timedOut, message: "injected: \(operation) call \(number) answer lost")
        case .duplicate:
            _ = try? await call()
            return try await call()
        case .error(let body):
            throw SyncTransportError.server(status: body.code.httpStatus ?? 500, body: body)
        }
    }

    private func randomFault() -> Fault? {
        let total = profile.failRate + profile.dropRate + profile.duplicateRate
        guard total > 0 else { return nil }
        let draw = Double(generator.next() >> 11) / Double(1 << 53)
        if draw < profile.failRate { return .failBeforeDelivery(retryable: true) }
        if draw < profile.failRate + profile.dropRate { return .dropResponse }
        if draw < total { return .duplicate }
        return nil
    }
}
