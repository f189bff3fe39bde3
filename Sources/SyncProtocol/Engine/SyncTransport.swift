/// How the sync engine talks to a server: the three calls of the protocol, nothing else.
///
/// The HTTP transport (module `SyncClient`) maps them onto `POST /v1/hello`,
/// `POST /v1/teams/{team}/push` and `GET /v1/teams/{team}/pull`; tests use SyncProtocolTesting's `InMemoryTransport`.
/// Errors should conform to ``RetryClassifying`` (``SyncTransportError`` does) so the engine knows
/// which ones to retry; any other error is treated as permanent.
public protocol SyncTransport: Sendable {
    /// Negotiates the protocol version and learns the server's limits.
    func hello(_ request: HelloRequest) async throws -> HelloResponse
    /// Sends one batch of changed records to a team.
    func push(_ batch: PushBatch, team: String) async throws -> PushResult
    /// Fetches one page of a team's changes.
    func pull(_ request: PullRequest, team: String) async throws -> PullPage
}

/// An error that says whether repeating the same request later may succeed.
public protocol RetryClassifying: Error {
    /// Whether the same request may succeed when sent again unchanged.
    var isRetryable: Bool { get }
    /// How long the server asked the client to wait, if it did.
    var retryAfter: Duration? { get }
}

/// Why a transport call failed.
public struct SyncTransportError: Error, RetryClassifying, CustomStringConvertible {
    /// The families of transport failures.
    public enum Kind: Sendable, Hashable {
        /// The request may not have reached the server (the connection was reset or lost on the way).
        case unreachable
        /// No connection could be made at all (refused, no route, unknown host, untrusted certificate): a state
        /// that does not heal within seconds, so it is not retried; `message` says which, for a person.
        case cannotConnect
        /// No answer in time; the request may or may not have been applied.
        case timedOut
        /// The server answered with an error status and body.
        case server(status: Int, body: ErrorBody)
        /// The server's answer could not be understood (not JSON, wrong shape, unexpected status).
        case invalidResponse
        /// The request could not be made as asked, before anything was sent: the client's own mistake (trusted
        /// certificates that cannot be read, an invalid team name, a body that cannot be encoded). Not retried.
        case invalidRequest
    }

    /// What failed.
    public var kind: Kind
    /// A description for people and logs (never a token or note content).
    public var message: String

    /// Creates a transport error.
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// An error built from a server's error status and body.
    public static func server(status: Int, body: ErrorBody) -> SyncTransportError {
        SyncTransportError(
            kind: .server(status: status, body: body), message: "\(status) \(body.code): \(body.message)"
        )
    }

    /// The server's error body, when the server answered.
    public var body: ErrorBody? {
        if case .server(_, let body) = kind { body } else { nil }
    }

    /// Lost connections and timeouts are retryable; a server error is when its body says so; a connection that
    /// could not be made or an answer that made no sense is not.
    public var isRetryable: Bool {
        switch kind {
        case .unreachable, .timedOut: true
        case .server(_, let body): body.retryable
        case .cannotConnect, .invalidResponse, .invalidRequest: false
        }
    }

    /// The server's `retryAfterSeconds`, if it sent one.
    public var retryAfter: Duration? {
        body?.retryAfterSeconds.map { .seconds($0) }
    }

    /// The message, e.g. `503 unavailable: …`.
    public var description: String { message }
}
