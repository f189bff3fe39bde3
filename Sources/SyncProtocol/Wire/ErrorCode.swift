/// A stable, machine-readable error code carried in every ``ErrorBody``.
///
/// Codes never change meaning once published. The set is open: a client that meets a code it does not
/// know falls back on the HTTP status and on ``ErrorBody/retryable``.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The code as it appears on the wire, in `snake_case`.
    public let rawValue: String

    /// Wraps a code string as received or as defined by a newer protocol revision.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The code as it appears on the wire.
    public var description: String { rawValue }

    /// Decodes any string: the set of codes is open.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(rawValue: try container.decode(String.self))
    }

    /// Encodes the code as a string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension ErrorCode {
    /// The body is not JSON at all (or not UTF-8). `400`.
    public static let malformedJSON = ErrorCode(rawValue: "malformed_json")
    /// The body names a field the message does not define. `400`.
    public static let unknownField = ErrorCode(rawValue: "unknown_field")
    /// A required field is absent. `400`.
    public static let missingField = ErrorCode(rawValue: "missing_field")
    /// A field holds a JSON value of the wrong type. `400`.
    public static let wrongType = ErrorCode(rawValue: "wrong_type")
    /// A field has the right type but an impossible value (out of range, too long, bad identifier). `400`.
    public static let invalidValue = ErrorCode(rawValue: "invalid_value")
    /// The client and server share no protocol version. `400`.
    public static let unsupportedVersion = ErrorCode(rawValue: "unsupported_version")
    /// The pull cursor was not issued by this server for this team. `400`.
    public static let invalidCursor = ErrorCode(rawValue: "invalid_cursor")
    /// A pushed record's clock claims writes of another replica that the server has not received: a push may
    /// only advance its own replica's entries (README §11.3). Nothing in the batch was written. `400`.
    public static let clockAhead = ErrorCode(rawValue: "clock_ahead")
    /// The request is not valid HTTP/1.1: a broken request line, header or `Content-Length`, a malformed
    /// chunked body, or a body that ends before its announced length. `400`.
    public static let malformedRequest = ErrorCode(rawValue: "malformed_request")
    /// The request body did not arrive within the server's body read deadline. `408`, retryable.
    public static let requestTimeout = ErrorCode(rawValue: "request_timeout")
    /// No bearer token, or a token the server does not know. `401`.
    public static let unauthorized = ErrorCode(rawValue: "unauthorized")
    /// The token belongs to a device that has been revoked. `401`.
    public static let deviceRevoked = ErrorCode(rawValue: "device_revoked")
    /// The enrolment code is unknown, already used or expired. `401`.
    public static let invalidEnrollmentCode = ErrorCode(rawValue: "invalid_enrollment_code")
    /// Re-enrolment brought a `previousToken` that is not the token of a device of the enrolment code's
    /// adviser (README §4.1). The code is not used up. `401`.
    public static let invalidPreviousToken = ErrorCode(rawValue: "invalid_previous_token")
    /// The team is not one of the device adviser's teams. `403`.
    public static let forbiddenTeam = ErrorCode(rawValue: "forbidden_team")
    /// A record in the batch belongs to another team, or the operation (such as a purge) needs a right
    /// the device does not have. Nothing in the batch was written. `403`.
    public static let forbiddenRecord = ErrorCode(rawValue: "forbidden_record")
    /// Protocol version 2: the push widens a scope to a team the pushing team may not share with (not a
    /// partner), or a note beyond its subject's scope. Nothing in the batch was written. `403`.
    public static let forbiddenScope = ErrorCode(rawValue: "forbidden_scope")
    /// Protocol version 2: the push widens a subject's scope to a team the young person's consent does not
    /// name (the subject's `consent` field). Nothing in the batch was written. `403`.
    public static let consentRequired = ErrorCode(rawValue: "consent_required")
    /// No such route. `404`.
    public static let notFound = ErrorCode(rawValue: "not_found")
    /// The route exists but not with this HTTP method. `405`.
    public static let methodNotAllowed = ErrorCode(rawValue: "method_not_allowed")
    /// The cursor points before the oldest change the server still keeps; pull again from the start. `409`.
    public static let cursorExpired = ErrorCode(rawValue: "cursor_expired")
    /// The batch id was already used for a batch with different content. `409`.
    public static let batchIDReused = ErrorCode(rawValue: "batch_id_reused")
    /// Enrolment brought a replica id that another device already holds. `409`.
    public static let replicaInUse = ErrorCode(rawValue: "replica_in_use")
    /// A pushed record lacks operations of the batch's own replica that the server has received: the device's
    /// store is older than what it synced (restored from a backup, or copied), so its next writes would reuse
    /// dots. Nothing in the batch was written; the device must continue as a new replica (README §11.3). `409`.
    public static let replicaRolledBack = ErrorCode(rawValue: "replica_rolled_back")
    /// The request body is larger than the server's `maxBodyBytes`. `413`.
    public static let payloadTooLarge = ErrorCode(rawValue: "payload_too_large")
    /// The push batch holds more records than the server's `maxBatchRecords`. `413`.
    public static let batchTooLarge = ErrorCode(rawValue: "batch_too_large")
    /// Too many requests from this device; wait `retryAfterSeconds`. `429`, retryable.
    public static let rateLimited = ErrorCode(rawValue: "rate_limited")
    /// The server failed in a way that is not the client's fault. `500`, retryable.
    public static let internalError = ErrorCode(rawValue: "internal_error")
    /// The server is starting, stopping, or its storage is unreachable. `503`, retryable.
    public static let unavailable = ErrorCode(rawValue: "unavailable")

    /// Every code the protocol defines (version 2 added `forbidden_scope` and `consent_required`), in the order
    /// of the specification's table.
    public static let allDefined: [ErrorCode] = [
        .malformedJSON, .unknownField, .missingField, .wrongType, .invalidValue, .unsupportedVersion,
        .invalidCursor, .clockAhead, .malformedRequest, .unauthorized, .deviceRevoked, .invalidEnrollmentCode,
        .invalidPreviousToken, .forbiddenTeam, .forbiddenRecord, .forbiddenScope, .consentRequired, .notFound,
        .methodNotAllowed, .requestTimeout, .cursorExpired, .batchIDReused, .replicaInUse, .replicaRolledBack,
        .payloadTooLarge, .batchTooLarge, .rateLimited, .internalError, .unavailable,
    ]

    /// The HTTP status the HTTP binding uses for this code; `nil` for a code this build does not know.
    public var httpStatus: Int? {
        switch self {
        case .malformedJSON, .unknownField, .missingField, .wrongType, .invalidValue, .unsupportedVersion,
            .invalidCursor, .clockAhead, .malformedRequest:
            400
        case .unauthorized, .deviceRevoked, .invalidEnrollmentCode, .invalidPreviousToken: 401
        case .forbiddenTeam, .forbiddenRecord, .forbiddenScope, .consentRequired: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .requestTimeout: 408
        case .cursorExpired, .batchIDReused, .replicaInUse, .replicaRolledBack: 409
        case .payloadTooLarge, .batchTooLarge: 413
        case .rateLimited: 429
        case .internalError: 500
        case .unavailable: 503
        default: nil
        }
    }

    /// Whether the same request may succeed if sent again unchanged later.
    public var isRetryable: Bool {
        switch self {
        case .rateLimited, .requestTimeout, .internalError, .unavailable: true
        default: false
        }
    }
}
