/// The JSON body of every error response.
///
/// ```json
/// {"code":"forbidden_record","message":"record notes/n-7 belongs to another team",
///  "retryable":false,"details":{"collection":"notes","id":"n-7"}}
/// ```
public struct ErrorBody: Sendable, Hashable, Error {
    /// The stable machine-readable code; see ``ErrorCode``.
    public var code: ErrorCode
    /// A sentence for people and logs. Never contains note content or tokens.
    public var message: String
    /// Whether the same request may succeed when retried unchanged.
    public var retryable: Bool
    /// How long to wait before retrying, when the server knows (`429`, `503`).
    public var retryAfterSeconds: Int?
    /// What the error is about, when it is about one record or one field.
    public var details: ErrorDetails?

    /// Creates an error body; `retryable` defaults to what ``ErrorCode/isRetryable`` says for the code.
    public init(
        code: ErrorCode, message: String, retryable: Bool? = nil, retryAfterSeconds: Int? = nil,
        details: ErrorDetails? = nil
    ) {
        self.code = code
        self.message = message
        self.retryable = retryable ?? code.isRetryable
        self.retryAfterSeconds = retryAfterSeconds
        self.details = details
    }
}

/// Where an error points: a record, a field path, a position in a batch.
public struct ErrorDetails: Sendable, Hashable {
    /// The collection of the record concerned.
    public var collection: String?
    /// The id of the record concerned.
    public var id: String?
    /// The path of the offending field inside the request body, such as `records[3].f.body`.
    public var path: String?
    /// The position of the offending record in the batch, from 0.
    public var index: Int?

    /// Creates details; every part is optional.
    public init(collection: String? = nil, id: String? = nil, path: String? = nil, index: Int? = nil) {
        self.collection = collection
        self.id = id
        self.path = path
        self.index = index
    }
}
