/// Where a sync is, reported to the progress handler after every step.
public struct SyncProgress: Sendable, Hashable {
    /// The phases of a sync, in order.
    public enum Phase: String, Sendable, Hashable, CaseIterable {
        /// Agreeing on a protocol version with the server.
        case negotiating
        /// Sending the outbox.
        case pushing
        /// Fetching and applying the team's changes.
        case pulling
        /// Waiting before retrying a failed request.
        case waitingToRetry
        /// Done: everything pushed and pulled.
        case finished
    }

    /// The current phase.
    public var phase: Phase
    /// Records pushed and acknowledged so far.
    public var recordsSent: Int
    /// Records received in pulled pages so far.
    public var recordsReceived: Int
    /// Batches pushed so far.
    public var batchesPushed: Int
    /// Pages pulled and applied so far.
    public var pagesPulled: Int
    /// Outbox entries still waiting when the push began (an estimate: local writes go on).
    public var pendingAtStart: Int
    /// During ``Phase/waitingToRetry``: the retry about to be made (1 for the first) and the wait.
    public var retry: RetryInfo?

    /// Creates a progress report.
    public init(
        phase: Phase, recordsSent: Int = 0, recordsReceived: Int = 0, batchesPushed: Int = 0, pagesPulled: Int = 0,
        pendingAtStart: Int = 0, retry: RetryInfo? = nil
    ) {
        self.phase = phase
        self.recordsSent = recordsSent
        self.recordsReceived = recordsReceived
        self.batchesPushed = batchesPushed
        self.pagesPulled = pagesPulled
        self.pendingAtStart = pendingAtStart
        self.retry = retry
    }
}

/// A retry the engine is about to make.
public struct RetryInfo: Sendable, Hashable {
    /// The retry's number, 1 for the first.
    public var attempt: Int
    /// How long the engine waits first.
    public var delay: Duration
    /// What failed, for a progress line.
    public var reason: String

    /// Creates retry information.
    public init(attempt: Int, delay: Duration, reason: String) {
        self.attempt = attempt
        self.delay = delay
        self.reason = reason
    }
}

extension SyncProgress {
    /// An `AsyncStream` of progress reports and the handler that feeds it, for callers that prefer to
    /// iterate: pass `handler` to ``SyncEngine/sync(progress:)`` and read `stream` in another task.
    /// The stream finishes after a ``Phase/finished`` report.
    public static func stream() -> (
        stream: AsyncStream<SyncProgress>, handler: @Sendable (SyncProgress) async -> Void
    ) {
        let (stream, continuation) = AsyncStream.makeStream(of: SyncProgress.self, bufferingPolicy: .unbounded)
        let handler: @Sendable (SyncProgress) async -> Void = { progress in
            continuation.yield(progress)
            if progress.phase == .finished { continuation.finish() }
        }
        return (stream, handler)
    }
}

/// What a completed sync did.
public struct SyncSummary: Sendable, Hashable {
    /// Records pushed and acknowledged.
    public var sent: Int
    /// Records received in pulled pages.
    public var received: Int
    /// Received records that changed this replica's state: new ones and newer versions. The rest were
    /// already known, such as this replica's own pushed changes coming back in the team's change sequence.
    public var updated: Int
    /// Records combined with concurrent changes by merge (pushed records the server merged, plus pulled
    /// records that met unsynced local changes).
    public var merged: Int
    /// Records left in conflict by this sync, for a person to resolve.
    public var conflicts: Int
    /// The conflicted records.
    public var conflictedRecords: Set<RecordKey>
    /// Records dropped because the team's access to them ended (protocol version 2).
    public var removed: Int
    /// Of those, records with unpushed local changes, set aside in the store instead of sent.
    public var setAside: Int
    /// Push batches sent.
    public var batches: Int
    /// Pull pages applied.
    public var pages: Int
    /// Retries made after transient errors.
    public var retries: Int
    /// Wall time of the whole sync.
    public var duration: Duration

    /// Creates a summary.
    public init(
        sent: Int = 0, received: Int = 0, updated: Int = 0, merged: Int = 0, conflictedRecords: Set<RecordKey> = [],
        batches: Int = 0, pages: Int = 0, retries: Int = 0, duration: Duration = .zero, removed: Int = 0,
        setAside: Int = 0
    ) {
        self.removed = removed
        self.setAside = setAside
        self.sent = sent
        self.received = received
        self.updated = updated
        self.merged = merged
        self.conflicts = conflictedRecords.count
        self.conflictedRecords = conflictedRecords
        self.batches = batches
        self.pages = pages
        self.retries = retries
        self.duration = duration
    }
}
