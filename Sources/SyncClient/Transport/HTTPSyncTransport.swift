import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import SyncProtocol

/// The sync engine's transport over HTTP(S): the protocol's HTTP binding, with AsyncHTTPClient.
///
/// Every failure is a `SyncTransportError`: unreachable and timed-out requests and the server's
/// retryable errors (`429`, `5xx`) say so through `SyncTransportError.isRetryable`, and a `429`'s or
/// `503`'s `Retry-After` becomes `SyncTransportError.retryAfter`.
///
/// ```swift
/// let transport = try HTTPSyncTransport(
///     configuration: .init(baseURL: "https://sync.example.org", token: token), logger: logger)
/// defer { Task { try await transport.shutdown() } }
/// let page = try await transport.pull(PullRequest(cursor: nil), team: "north")
/// ```
public final class HTTPSyncTransport: SyncTransport {
    /// The configuration the transport was made with.
    public let configuration: SyncClientConfiguration
    let client: HTTPClient
    let logger: Logger

    /// Creates a transport with its own HTTP client; call ``shutdown()`` when done.
    ///
    /// - Throws: `SyncTransportError` (`invalidRequest`) when the trusted certificates cannot be read.
    public init(configuration: SyncClientConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        var httpConfiguration = HTTPClient.Configuration()
        // A server that cannot be reached fails fast (and is not retried); a slow answer may take longer.
        let connectNanoseconds = min(
            configuration.requestTimeout.nanosecondsClamped, configuration.connectTimeout.nanosecondsClamped)
        httpConfiguration.timeout = .init(
            connect: .nanoseconds(connectNanoseconds),
            read: .nanoseconds(configuration.requestTimeout.nanosecondsClamped))
        if let pem = configuration.trustedCertificatesPEM {
            var tls = TLSConfiguration.makeClientConfiguration()
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
            } catch {
                throw SyncTransportError(
                    kind: .invalidRequest, message: "cannot read the trusted certificates: \(error)")
            }
            httpConfiguration.tlsConfiguration = tls
        }
        self.client = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: httpConfiguration, backgroundActivityLogger: logger)
    }

    /// Closes the HTTP client's connections.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    /// `POST /v1/hello`, with the configured bearer token.
    public func hello(_ request: HelloRequest) async throws -> HelloResponse {
        try await send(.POST, path: "/v1/hello", body: request, expecting: HelloResponse.self)
    }

    /// `POST /v1/teams/{team}/push`, with the configured bearer token.
    public func push(_ batch: PushBatch, team: String) async throws -> PushResult {
        try await send(
            .POST, path: "/v1/teams/\(try Self.pathSegment(team))/push", body: batch, expecting: PushResult.self)
    }

    /// `GET /v1/teams/{team}/pull`, the cursor, limit and protocol version in the query.
    public func pull(_ request: PullRequest, team: String) async throws -> PullPage {
        var query: [String] = []
        if let cursor = request.cursor { query.append("cursor=" + Self.queryValue(cursor)) }
        if let limit = request.limit { query.append("limit=\(limit)") }
        if request.protocolVersion != 1 { query.append("protocolVersion=\(request.protocolVersion)") }
        let path =
            "/v1/teams/\(try Self.pathSegment(team))/pull" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        return try await send(.GET, path: path, body: Optional<PullRequest>.none, expecting: PullPage.self)
    }

    /// The team's directory of devices (`GET /v1/teams/{team}/devices`): who writes with which replica id.
    ///
    /// Not part of `SyncTransport`: the sync engine does not need it, only clients that show people
    /// whose value a conflict candidate is.
    public func devices(team: String) async throws -> TeamDirectory {
        try await send(
            .GET, path: "/v1/teams/\(try Self.pathSegment(team))/devices", body: Optional<PullRequest>.none,
            expecting: TeamDirectory.self)
    }

    /// Trades a one-time enrolment code for the device's identity and token (`POST /v1/enroll`).
    public func enroll(_ request: EnrollRequest) async throws -> EnrollResponse {
        try await send(.POST, path: "/v1/enroll", body: request, expecting: EnrollResponse.self, authenticated: false)
    }

    /// Sends one request and decodes the answer, translating every failure into a ``SyncTransportError``.
    func send<Body: Encodable, Answer: Decodable>(
        _ method: HTTPMethod, path: String, body: Body?, expecting: Answer.Type, authenticated: Bool = true
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: configuration.trimmedBaseURL + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        if authenticated, let token = configuration.token {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        if let body {
            let data: Data
            do {
                data = try WireCoding.encode(body)
            } catch {
                throw SyncTransportError(kind: .invalidRequest, message: "cannot encode the request: \(error)")
            }
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: data))
        }

        let status: Int
        let headers: HTTPHeaders
        let payload: Data
        do {
            let timeout = TimeAmount.nanoseconds(configuration.requestTimeout.nanosecondsClamped)
            let response = try await client.execute(request, timeout: timeout, logger: logger)
            status = Int(response.status.code)
            headers = response.headers
            payload = Data(buffer: try await response.body.collect(upTo: configuration.maxResponseBytes))
        } catch {
            throw Self.classify(error, method: method, path: path)
        }

        guard (200..<300).contains(status) else {
            throw Self.serverError(status: status, headers: headers, payload: payload)
        }
        do {
            return try WireCoding.decode(Answer.self, from: payload)
        } catch {
            throw SyncTransportError(
                kind: .invalidResponse, message: "\(method) \(Self.redacted(path)): unexpected answer: \(error)")
        }
    }

    /// Keeps cursors out of error messages and logs (they are harmless, but logs should stay small).
    static func redacted(_ path: String) -> String {
        path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
    }

    static func pathSegment(_ value: String) throws -> String {
        guard WireLimits.isValidIdentifier(value) else {
            throw SyncTransportError(kind: .invalidRequest, message: "'\(value)' is not a valid team name")
        }
        return value
    }

    static func queryValue(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

extension Duration {
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        guard seconds < Int64.max / 1_000_000_000 else { return .max }
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
