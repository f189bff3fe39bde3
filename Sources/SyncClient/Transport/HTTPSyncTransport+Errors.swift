import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SyncProtocol

extension HTTPSyncTransport {
    /// Translates a failure to get an answer at all.
    static func classify(_ error: any Error, method: HTTPMethod, path: String) -> SyncTransportError {
        let request = "\(method) \(redacted(path))"
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return SyncTransportError(kind: .timedOut, message: "\(request): no answer in time")
            case .connectTimeout, .remoteConnectionClosed, .alreadyShutdown, .cancelled:
                return SyncTransportError(kind: .unreachable, message: "\(request): \(error)")
            default:
                return SyncTransportError(kind: .unreachable, message: "\(request): \(error)")
            }
        }
        if error is NIOTooManyBytesError {
            return SyncTransportError(kind: .invalidResponse, message: "\(request): the answer is too large")
        }
        if error is NIOSSLError || error is BoringSSLError {
            return SyncTransportError(kind: .unreachable, message: "\(request): TLS failed: \(error)")
        }
        // Connection refused, reset, DNS failures and the like.
        return SyncTransportError(kind: .unreachable, message: "\(request): \(error)")
    }

    /// Translates an error status: the server's ``ErrorBody`` when it sent one, else one made from the status.
    static func serverError(status: Int, headers: HTTPHeaders, payload: Data) -> SyncTransportError {
        let retryAfter = headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            .map { min(max($0, 0), WireLimits.maxRetryAfterSeconds) }
        var body: ErrorBody
        if let decoded = try? WireCoding.decode(ErrorBody.self, from: payload) {
            body = decoded
        } else {
            // A proxy or load balancer answered, not the sync server.
            let code: ErrorCode =
                switch status {
                case 401: .unauthorized
                case 404: .notFound
                case 413: .payloadTooLarge
                case 429: .rateLimited
                case 503, 502, 504: .unavailable
                case 500...: .internalError
                default: ErrorCode(rawValue: "http_\(status)")
                }
            body = ErrorBody(code: code, message: "HTTP \(status) without a protocol error body")
            if status >= 500 || status == 429 || status == 408 { body.retryable = true }
        }
        if body.retryAfterSeconds == nil { body.retryAfterSeconds = retryAfter }
        return .server(status: status, body: body)
    }
}
