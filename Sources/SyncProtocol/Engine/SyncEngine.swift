/// Synchronises one replica's records of one team with a server: pushes the outbox in batches, then
/// pulls the team's changes page by page.
///
/// The engine holds no records itself and does no I/O except through its ``ReplicaStorage`` and
/// ``SyncTransport``. Its guarantees:
/// - an outbox entry leaves the outbox only after the server acknowledged that exact state;
/// - the pull cursor moves only together with the page it belongs to (``ReplicaStorage/apply(page:)``);
/// - so a sync interrupted anywhere (error, crash, cancellation) leaves a consistent state, and the
///   next ``sync(progress:)`` carries on; anything sent twice merges idempotently;
/// - transient failures are retried with exponential backoff and jitter, a bounded number of times.
///
/// ```swift
/// let engine = SyncEngine(storage: store, transport: http,
///                         configuration: .init(team: "team-north", replica: replica))
/// let summary = try await engine.sync { progress in print(progress.phase) }
/// print("sent \(summary.sent), received \(summary.received), conflicts \(summary.conflicts)")
/// ```
public actor SyncEngine<Storage: ReplicaStorage, Transport: SyncTransport> {
    /// What the engine syncs and how.
    public struct Configuration: Sendable {
        /// The team whose records are synchronised.
        public var team: String
        /// This device's replica id, as assigned at enrolment.
        public var replica: ReplicaID
        /// Most records per push batch; the server's `maxBatchRecords` lowers it further.
        public var maxBatchRecords: Int
        /// Records per pull page; `nil` lets the server choose.
        public var pageLimit: Int?
        /// How transient errors are retried.
        public var retry: RetryPolicy
        /// Client name and version, sent in ``HelloRequest/client``.
        public var clientName: String?
        /// Whether the next page is requested while the current one is being applied. It overlaps the network
        /// and decoding with the store's writes (a cold pull is bound by them); the cursor still moves only with
        /// an applied page. Turn it off where transport calls must happen strictly one at a time (a
        /// deterministic simulation).
        public var prefetchPages: Bool

        /// Creates a configuration.
        public init(
            team: String, replica: ReplicaID, maxBatchRecords: Int = 200, pageLimit: Int? = nil,
            retry: RetryPolicy = RetryPolicy(), clientName: String? = nil, prefetchPages: Bool = true
        ) {
            self.prefetchPages = prefetchPages
            self.team = team
            self.replica = replica
            self.maxBatchRecords = max(1, maxBatchRecords)
            self.pageLimit = pageLimit
            self.retry = retry
            self.clientName = clientName
        }
    }

    /// The local store.
    public nonisolated let storage: Storage
    /// The connection to the server.
    public nonisolated let transport: Transport
    /// The configuration.
    public nonisolated let configuration: Configuration
    let environment: SyncEnvironment

    /// The server's answer to the last successful negotiation; `nil` until the first sync.
    public private(set) var negotiated: HelloResponse?
    /// The cursor last reported to the server in a final batch (see ``PushBatch/final``).
    var reportedCursor: String?
    private var running = false

    /// Creates an engine; nothing happens until ``sync(progress:)``.
    public init(
        storage: Storage, transport: Transport, configuration: Configuration, environment: SyncEnvironment = .live
    ) {
        self.storage = storage
        self.transport = transport
        self.configuration = configuration
        self.environment = environment
    }

    /// Pushes every pending change, then pulls until the server has nothing more.
    ///
    /// - Parameter progress: called after every step (negotiation, each batch, each page, each retry wait
    ///   and at the end); it runs on the engine, so keep it short.
    /// - Returns: what the sync did.
    /// - Throws: ``SyncError``; what was done before the failure stays done (see ``SyncError/partial``).
    @discardableResult
    public func sync(
        progress: (@Sendable (SyncProgress) async -> Void)? = nil
    ) async throws(SyncError) -> SyncSummary {
        guard !running else { throw SyncError(phase: .negotiating, reason: .alreadySyncing) }
        running = true
        defer { running = false }
        var run = Run(started: environment.now(), progress: progress)

        if negotiated == nil {
            run.phase = .negotiating
            await run.report()
            negotiated = try await negotiate(&run)
        }
        try await checkMembership(&run)
        do {
            try await continueAfterRollback(&run)
            try await pushAll(&run)
            try await pullAll(&run)
        } catch {
            // The store lost operations it had synced: it must not push under this replica id again.
            if case .replicaRolledBack = error.reason {
                try? await storage.replicaRolledBack(configuration.replica)
            }
            // A server that stopped speaking our version (for example after an upgrade) is asked again.
            if error.errorBody?.code == .unsupportedVersion { negotiated = nil }
            // The team refused us: the adviser may have left it since the last hello. Ask again at once.
            if error.errorBody?.code == .forbiddenTeam {
                negotiated = try await negotiate(&run)
                try await checkMembership(&run)
            }
            throw error
        }
        let summary = run.summary(now: environment.now())
        try await store(&run) { try await self.storage.syncCompleted(summary) }
        run.phase = .finished
        await run.report()
        return summary
    }

    /// Version 2: an adviser who left the team keeps nothing of it on the device (README §14.4). When `hello`
    /// no longer lists the team the store has synced with, the store drops its records and the sync ends with
    /// ``SyncError/Reason/teamAccessEnded(team:)``.
    private func checkMembership(_ run: inout Run) async throws(SyncError) {
        guard let negotiated, negotiated.protocolVersion >= 2, !negotiated.teams.contains(configuration.team) else {
            return
        }
        // Only a store that has synced with the team drops it: a team this store never pulled from is a
        // configuration mistake, answered `403 forbidden_team` as before, and never wipes anything.
        guard try await store(&run, { try await self.storage.pullCursor() }) != nil else { return }
        let outcome = try await store(&run) { try await self.storage.teamAccessEnded() }
        run.removed += outcome.removed
        run.setAside += outcome.setAside
        self.negotiated = nil
        throw SyncError(
            phase: .negotiating, reason: .teamAccessEnded(team: configuration.team),
            partial: run.summary(now: environment.now()))
    }

    private func negotiate(_ run: inout Run) async throws(SyncError) -> HelloResponse {
        let request = HelloRequest(protocolVersions: ProtocolVersion.supported, client: configuration.clientName)
        let response = try await attempt(&run) { try await self.transport.hello(request) }
        guard ProtocolVersion.supported.contains(response.protocolVersion) else {
            throw SyncError(
                phase: .negotiating, reason: .unsupportedVersion(server: response.server.protocolVersions),
                partial: run.summary(now: environment.now())
            )
        }
        return response
    }

    /// Runs a transport call, retrying transient failures as the policy allows.
    func attempt<Value: Sendable>(
        _ run: inout Run, _ operation: () async throws -> Value
    ) async throws(SyncError) -> Value {
        let policy = configuration.retry
        var attempts = 1
        while true {
            do {
                return try await operation()
            } catch {
                if error is CancellationError || Task.isCancelled {
                    throw SyncError(
                        phase: run.phase, reason: .cancelled, attempts: attempts,
                        partial: run.summary(now: environment.now()))
                }
                let classified = error as? any RetryClassifying
                let retryAfter = classified?.retryAfter
                guard classified?.isRetryable == true, attempts < policy.maxAttempts,
                    (retryAfter ?? .zero) <= policy.maxRetryAfter
                else {
                    var reason = SyncError.Reason.transport(error)
                    if let body = SyncError.errorBody(of: error), body.code == .replicaRolledBack {
                        reason = .replicaRolledBack(body)
                    }
                    throw SyncError(
                        phase: run.phase, reason: reason, attempts: attempts,
                        partial: run.summary(now: environment.now()))
                }
                let delay = policy.delay(beforeRetry: attempts, jitter: environment.random(), retryAfter: retryAfter)
                let phase = run.phase
                run.phase = .waitingToRetry
                run.retry = RetryInfo(attempt: attempts, delay: delay, reason: String(describing: error))
                await run.report()
                run.phase = phase
                run.retry = nil
                do {
                    try await environment.sleep(delay)
                } catch {
                    throw SyncError(
                        phase: phase, reason: .cancelled, attempts: attempts,
                        partial: run.summary(now: environment.now()))
                }
                attempts += 1
                run.retries += 1
            }
        }
    }

    /// Runs a storage call, turning its failure into a ``SyncError``.
    func store<Value: Sendable>(
        _ run: inout Run, _ operation: () async throws -> Value
    ) async throws(SyncError) -> Value {
        do {
            return try await operation()
        } catch {
            let reason: SyncError.Reason = error is CancellationError ? .cancelled : .storage(error)
            throw SyncError(phase: run.phase, reason: reason, partial: run.summary(now: environment.now()))
        }
    }

    /// The counters of one sync.
    struct Run {
        var started: ContinuousClock.Instant
        var progress: (@Sendable (SyncProgress) async -> Void)?
        var phase: SyncProgress.Phase = .negotiating
        var retry: RetryInfo?
        var sent = 0
        var received = 0
        var updated = 0
        var merged = 0
        var batches = 0
        var pages = 0
        var retries = 0
        var pendingAtStart = 0
        var conflicted: Set<RecordKey> = []
        var removed = 0
        var setAside = 0

        func report() async {
            guard let progress else { return }
            await progress(
                SyncProgress(
                    phase: phase, recordsSent: sent, recordsReceived: received, batchesPushed: batches,
                    pagesPulled: pages, pendingAtStart: pendingAtStart, retry: retry
                ))
        }

        func summary(now: ContinuousClock.Instant) -> SyncSummary {
            SyncSummary(
                sent: sent, received: received, updated: updated, merged: merged, conflictedRecords: conflicted,
                batches: batches, pages: pages, retries: retries, duration: started.duration(to: now),
                removed: removed, setAside: setAside
            )
        }
    }
}
