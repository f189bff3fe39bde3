/// Why a sync stopped before finishing. Everything done before the failure is kept: acknowledged
/// records left the outbox, applied pages moved the cursor, and the next sync continues from there.
public struct SyncError: Error, CustomStringConvertible {
    /// The families of failure.
    public enum Reason: Sendable {
        /// A transport call failed (after the retries the policy allows, when it was transient).
        case transport(any Error)
        /// The local store failed.
        case storage(any Error)
        /// Client and server share no protocol version.
        case unsupportedVersion(server: [Int])
        /// The server's answer broke the protocol (wrong number of push results, a page that does not
        /// advance, ...).
        case invalidResponse(String)
        /// A single record is larger than the server accepts in one request.
        case recordTooLarge(RecordKey)
        /// The server holds operations of this device's replica that the device's store lacks
        /// (`409 replica_rolled_back`, README §11.3): the store was restored from a backup or copied, and
        /// its next writes would reuse dots the team already holds. Nothing of the batch was written. The
        /// device must not push under this replica id again; it continues as a new replica. The body names
        /// the first record found (`details.collection`, `details.id`).
        case replicaRolledBack(ErrorBody)
        /// The adviser is no longer a member of the team this engine syncs (`hello` no longer lists it): the
        /// store dropped the team's records (``SyncError/partial`` counts them and those kept aside).
        case teamAccessEnded(team: String)
        /// Another sync of this engine is already running.
        case alreadySyncing
        /// The task was cancelled.
        case cancelled
    }

    /// The phase the sync was in.
    public var phase: SyncProgress.Phase
    /// What went wrong.
    public var reason: Reason
    /// Attempts made for the failing request (1 when it was not retried).
    public var attempts: Int
    /// What the sync had done before it stopped.
    public var partial: SyncSummary

    /// Creates a sync error.
    public init(phase: SyncProgress.Phase, reason: Reason, attempts: Int = 1, partial: SyncSummary = SyncSummary()) {
        self.phase = phase
        self.reason = reason
        self.attempts = attempts
        self.partial = partial
    }

    /// The server's error body, when the failure was an error answer.
    public var errorBody: ErrorBody? {
        switch reason {
        case .transport(let error): Self.errorBody(of: error)
        case .replicaRolledBack(let body): body
        default: nil
        }
    }

    /// The error body of a transport failure, when it was an error answer of the server.
    static func errorBody(of error: any Error) -> ErrorBody? {
        (error as? SyncTransportError)?.body ?? (error as? ErrorBody)
    }

    /// Whether trying again later (a new sync) may succeed: the network or server was the problem,
    /// not the data, the credentials or the protocol.
    public var isTransient: Bool {
        switch reason {
        case .transport(let error): (error as? any RetryClassifying)?.isRetryable ?? false
        case .storage, .unsupportedVersion, .invalidResponse, .recordTooLarge, .replicaRolledBack, .teamAccessEnded:
            false
        case .alreadySyncing, .cancelled: true
        }
    }

    /// One line naming the phase and the cause, for logs and the CLI.
    public var description: String {
        let what: String
        switch reason {
        case .transport(let error): what = "transport: \(error)"
        case .storage(let error): what = "local store: \(error)"
        case .unsupportedVersion(let server):
            what = "no common protocol version (client \(ProtocolVersion.supported), server \(server))"
        case .invalidResponse(let detail): what = "invalid server response: \(detail)"
        case .recordTooLarge(let key): what = "record \(key) is larger than the server accepts"
        case .replicaRolledBack(let body):
            let record = body.details.flatMap { details in details.collection.map { "\($0)/\(details.id ?? "?")" } }
            what =
                "the server holds writes this device's store lacks\(record.map { " (record \($0))" } ?? ""): "
                + "the store was restored from a backup or copied, and must continue as a new replica"
        case .teamAccessEnded(let team):
            what =
                "the adviser is no longer a member of team \(team): \(partial.removed) records removed from this device"
                + (partial.setAside > 0 ? ", \(partial.setAside) with unsynced changes kept aside" : "")
        case .alreadySyncing: what = "a sync is already running"
        case .cancelled: what = "cancelled"
        }
        let tries = attempts > 1 ? " after \(attempts) attempts" : ""
        return "sync failed while \(phase.rawValue)\(tries): \(what)"
    }
}
