import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SyncProtocol

extension HTTPSyncTransport {
    /// Translates a failure to get an answer at all. A connection that could not be made at all becomes
    /// ``SyncTransportError/Kind/cannotConnect`` with a reason a person can act on, in plain words.
    static func classify(_ error: any Error, method: HTTPMethod, path: String) -> SyncTransportError {
        let request = "\(method) \(redacted(path))"
        if let reason = connectFailure(error) {
            return SyncTransportError(kind: .cannotConnect, message: reason)
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return SyncTransportError(kind: .timedOut, message: "\(request): no answer in time")
            default:
                return SyncTransportError(kind: .unreachable, message: "\(request): the connection was lost")
            }
        }
        if error is NIOTooManyBytesError {
            return SyncTransportError(kind: .invalidResponse, message: "\(request): the answer is too large")
        }
        // Resets and other failures once connected.
        return SyncTransportError(kind: .unreachable, message: "\(request): the connection was lost")
    }

    /// Why no connection could be made, for a person; nil when the error is not about connecting.
    static func connectFailure(_ error: any Error) -> String? {
        if let connection = error as? NIOConnectionError {
            if connection.connectionErrors.isEmpty, connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return "the server's name cannot be resolved (no network, or a typo in the address?)"
            }
            let codes = connection.connectionErrors.compactMap { ($0.error as? IOError)?.errnoCode }
            return codes.first.map(connectReason) ?? "no connection could be made"
        }
        if let io = error as? IOError { return connectReason(io.errnoCode) }
        if case .connectTimeout? = error as? HTTPClientError { return "no answer to the connection attempt" }
        if case .connectTimeout? = error as? ChannelError { return "no answer to the connection attempt" }
        if error is NIOSSLExtraError || error is NIOSSLError || error is BoringSSLError {
            let text = String(describing: error)
            if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("Hostname") || text.contains("hostname") {
                return "the server's certificate is not trusted (if your team uses its own certificate "
                    + "authority, enrol again with --ca-cert FILE)"
            }
            return "the secure (TLS) connection could not be set up"
        }
        return nil
    }

    private static func connectReason(_ code: Int32) -> String {
        switch code {
        case ECONNREFUSED: "connection refused (is the server running?)"
        case ENETUNREACH: "the network is unreachable (offline?)"
        case EHOSTUNREACH: "no route to the server (offline?)"
        case ETIMEDOUT: "no answer to the connection attempt"
        default: "no connection could be made"
        }
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
