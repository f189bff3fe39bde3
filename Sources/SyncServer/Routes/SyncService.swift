import Foundation
import Hummingbird
import Logging
import NIOHTTP1
import SyncProtocol
import Synchronization

/// Everything the route handlers share: storage, limits, rate limiters, metrics and the server's identity.
public final class SyncService: Sendable {
    /// Where the data lives.
    public let storage: any SyncStorage
    /// The server's configuration.
    public let configuration: ServerConfiguration
    /// The server's metrics.
    public let metrics: ServerMetrics
    /// The schemas pushed records are validated against, by collection; other collections are refused.
    public let schemas: [String: Schema]
    let deviceLimiter: RateLimiter
    let anonymousLimiter: RateLimiter
    let logger: Logger
    /// The merge of a pushed record into the stored one, and test-only faults (``SyncServiceRules``).
    let rules: SyncServiceRules
    private let replica = Mutex<ReplicaID?>(nil)

    /// Creates the shared state of a server.
    public convenience init(
        storage: any SyncStorage, configuration: ServerConfiguration, metrics: ServerMetrics = ServerMetrics(),
        schemas: [String: Schema] = Schemas.all, logger: Logger
    ) {
        self.init(
            storage: storage, configuration: configuration, metrics: metrics, schemas: schemas, rules: .standard,
            logger: logger)
    }

    /// Creates the shared state of a server with other ``SyncServiceRules`` (the simulator's broken servers).
    package init(
        storage: any SyncStorage, configuration: ServerConfiguration, metrics: ServerMetrics = ServerMetrics(),
        schemas: [String: Schema] = Schemas.all, rules: SyncServiceRules, logger: Logger
    ) {
        self.rules = rules
        self.storage = storage
        self.schemas = schemas
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.deviceLimiter = RateLimiter(
            burst: configuration.deviceRateLimit.burst, perSecond: configuration.deviceRateLimit.perSecond)
        self.anonymousLimiter = RateLimiter(
            burst: configuration.anonymousRateLimit.burst, perSecond: configuration.anonymousRateLimit.perSecond)
    }

    /// Migrates the storage and loads the server's replica id; run before the server accepts requests.
    public func prepare() async throws {
        try await storage.migrate()
        let stored = try await storage.serverReplica()
        let id = try ReplicaID(stored)
        replica.withLock { $0 = id }
        logger.info("storage ready", metadata: ["server.replica": "\(id)"])
        // Accesses that came due while the server was down end before it serves anyone.
        let expired = try await AccessExpiry(storage: storage).run()
        if expired.ended > 0 {
            logger.notice("access ended", metadata: ["subjects": "\(expired.subjects)", "entries": "\(expired.ended)"])
        }
    }

    /// What the server tells clients about itself.
    func serverInfo() throws(APIError) -> ServerInfo {
        guard let id = replica.withLock({ $0 }) else {
            throw APIError.unavailable("the server is starting")
        }
        return ServerInfo(replica: id, limits: configuration.limits)
    }

    /// Reads the request body, refusing more than the configured limit with `413 payload_too_large`.
    func readBody(_ request: Request) async throws -> Data {
        let limit = configuration.limits.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.payloadTooLarge(limit: limit)
        }
        let body = request.body
        let deadline = configuration.bodyReadTimeout
        do {
            // The body races the read deadline; the loser is cancelled (a cancelled read ends the body stream,
            // so the connection is closed after the answer).
            let buffer = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
                group.addTask { try await body.collect(upTo: limit) }
                group.addTask {
                    try await Task.sleep(for: deadline)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let buffer = first else {
                    throw APIError(.requestTimeout, "the request body did not arrive in time")
                }
                return buffer
            }
            return Data(buffer: buffer)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit: limit)
        } catch let error as HTTPParserError {
            throw APIError.malformedRequest(error)
        }
    }

    /// Decodes a wire message strictly, answering any problem with `400` and an error body naming the field.
    func decode<Message: Decodable>(_ type: Message.Type, from data: Data) throws(APIError) -> Message {
        do {
            return try WireCoding.decode(type, from: data)
        } catch {
            throw APIError(error.errorBody)
        }
    }

    /// Takes one request from the caller's budget, or throws `429 rate_limited` with the wait.
    func spend(_ limiter: RateLimiter, key: String) throws(APIError) {
        if let wait = limiter.acquire(key) {
            throw APIError(
                .rateLimited, "too many requests; retry after \(wait) s",
                retryAfterSeconds: min(wait, WireLimits.maxRetryAfterSeconds))
        }
    }

    /// Checks that the device may use `team`, answering `403 forbidden_team` otherwise.
    func authorize(_ identity: DeviceIdentity, team: String) throws(APIError) {
        guard identity.teams.contains(team) else { throw APIError.forbiddenTeam(team) }
    }
}

extension APIError {
    static func payloadTooLarge(limit: Int) -> APIError {
        APIError(.payloadTooLarge, "the request body is larger than \(limit) bytes")
    }

    /// `400 malformed_request` for a request the HTTP/1 decoder refused (cut off, broken chunked framing).
    static func malformedRequest(_ error: HTTPParserError) -> APIError {
        APIError(.malformedRequest, HTTPParseErrorHandler.message(for: error))
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        self = buffer.withUnsafeReadableBytes { Data($0) }
    }
}
