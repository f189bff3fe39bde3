import Foundation
import Hummingbird
import SyncProtocol

/// An error answer of the API: an HTTP status and the JSON `ErrorBody` every error response carries.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The JSON body.
    public var body: ErrorBody
    /// Headers the answer carries besides `Content-Type`, `Cache-Control` and `Retry-After` (`Allow` on `405`).
    public var headers = HTTPFields()

    /// Creates an error with the status the protocol assigns to `body.code` (or `fallbackStatus`).
    public init(_ body: ErrorBody, fallbackStatus: HTTPResponse.Status = .badRequest) {
        self.body = body
        self.status = body.code.httpStatus.map { HTTPResponse.Status(code: $0) } ?? fallbackStatus
    }

    /// Creates an error from a code and a message.
    public init(_ code: ErrorCode, _ message: String, details: ErrorDetails? = nil, retryAfterSeconds: Int? = nil) {
        self.init(ErrorBody(code: code, message: message, retryAfterSeconds: retryAfterSeconds, details: details))
    }

    /// `status code: message`, for logs.
    public var description: String { "\(status.code) \(body.code): \(body.message)" }

    /// The JSON error body with its status, `Cache-Control: no-store` and, when the body asks to wait, `Retry-After`.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        if let seconds = body.retryAfterSeconds {
            headers[.retryAfter] = String(seconds)
        }
        let data = (try? WireCoding.encode(body)) ?? Data(#"{"code":"internal_error"}"#.utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension APIError {
    static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, message) }

    static func forbiddenTeam(_ team: String) -> APIError {
        APIError(.forbiddenTeam, "the team is not one of this device's teams")
    }

    static func internalError() -> APIError {
        APIError(.internalError, "the server failed; the request may be retried")
    }

    static func unavailable(_ message: String, retryAfterSeconds: Int = 5) -> APIError {
        APIError(.unavailable, message, retryAfterSeconds: retryAfterSeconds)
    }
}
