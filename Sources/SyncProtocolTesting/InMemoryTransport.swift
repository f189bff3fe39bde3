import Foundation
import SyncProtocol

/// A transport that calls an ``InMemorySyncServer`` directly, as one device.
///
/// With `encodesOverWire` (the default) every request and answer is encoded to canonical JSON and
/// decoded strictly on the other side, exactly as over HTTP, including the `413` body-size check, so
/// tests exercise the real wire format.
public struct InMemoryTransport: SyncTransport {
    /// The server.
    public let server: InMemorySyncServer
    /// The device this transport authenticates as (what a bearer token identifies over HTTP).
    public let device: String
    /// Whether messages travel as JSON bytes.
    public let encodesOverWire: Bool

    /// Creates a transport for `device`.
    public init(server: InMemorySyncServer, device: String, encodesOverWire: Bool = true) {
        self.server = server
        self.device = device
        self.encodesOverWire = encodesOverWire
    }

    public func hello(_ request: HelloRequest) async throws -> HelloResponse {
        try await exchange(request) { request throws(ErrorBody) in
            try await server.hello(request, device: device)
        }
    }

    public func push(_ batch: PushBatch, team: String) async throws -> PushResult {
        try await exchange(batch) { batch throws(ErrorBody) in
            try await server.push(batch, team: team, device: device)
        }
    }

    public func pull(_ request: PullRequest, team: String) async throws -> PullPage {
        try await exchange(request) { request throws(ErrorBody) in
            try await server.pull(request, team: team, device: device)
        }
    }

    private func exchange<Request: Codable & Sendable, Response: Codable & Sendable>(
        _ request: Request, _ handle: (Request) async throws(ErrorBody) -> Response
    ) async throws -> Response {
        do {
            guard encodesOverWire else { return try await handle(request) }
            let body = try WireCoding.encode(request)
            let limit = await server.limits.maxBodyBytes
            guard body.count <= limit else {
                throw ErrorBody(code: .payloadTooLarge, message: "body of \(body.count) bytes; the limit is \(limit)")
            }
            let received: Request
            do {
                received = try WireCoding.decode(Request.self, from: body)
            } catch {
                throw error.errorBody
            }
            let answer = try WireCoding.encode(try await handle(received))
            do {
                return try WireCoding.decode(Response.self, from: answer)
            } catch {
                throw SyncTransportError(kind: .invalidResponse, message: "undecodable answer: \(error)")
            }
        } catch let body as ErrorBody {
            throw SyncTransportError.server(status: body.code.httpStatus ?? 500, body: body)
        }
    }
}
