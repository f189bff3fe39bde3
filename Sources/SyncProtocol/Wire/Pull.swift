/// A request for the team's changes after a cursor.
///
/// In the HTTP binding it is the query of `GET /v1/teams/{team}/pull?cursor=...&limit=...`; its JSON form
/// (used by in-process transports and the test vectors) is `{"cursor":"...","limit":500}`.
public struct PullRequest: Sendable, Hashable {
    /// Where to continue: the `nextCursor` of the last page applied, or `nil` to start from the beginning.
    public var cursor: String?
    /// The most records wanted; the server uses its default when `nil` and lowers a larger value to its
    /// `maxPageRecords`.
    public var limit: Int?

    /// Creates a pull request.
    public init(cursor: String? = nil, limit: Int? = nil) {
        self.cursor = cursor
        self.limit = limit
    }

    /// Checks a cursor and limit as they arrive in a query string; the server answers a failure with `400`.
    ///
    /// - Throws: ``WireDecodingError`` with kind `invalidValue` and the parameter's name as the path.
    public static func validated(cursor: String?, limit: String?) throws(WireDecodingError) -> PullRequest {
        if let cursor, cursor.isEmpty || cursor.utf8.count > WireLimits.maxCursorBytes {
            throw WireDecodingError(
                kind: .invalidValue, path: "cursor", reason: "must be 1-\(WireLimits.maxCursorBytes) bytes"
            )
        }
        var parsedLimit: Int?
        if let limit {
            // Decimal digits only: `Int` would also take "+5".
            guard limit.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(limit),
                (1...WireLimits.maxRecordsPerMessage).contains(value)
            else {
                throw WireDecodingError(
                    kind: .invalidValue, path: "limit",
                    reason: "must be an integer between 1 and \(WireLimits.maxRecordsPerMessage)"
                )
            }
            parsedLimit = value
        }
        return PullRequest(cursor: cursor, limit: parsedLimit)
    }
}

/// One page of a team's changes, oldest first.
///
/// Each record is the server's full current state of that record, not a diff, so applying a page is
/// merging each record in. A record changed several times since the cursor appears once.
///
/// ```json
/// {"more":false,"nextCursor":"42","protocolVersion":1,"records":[...]}
/// ```
public struct PullPage: Sendable, Hashable {
    /// The protocol version negotiated by ``HelloRequest``.
    public var protocolVersion: Int
    /// The records changed after the request's cursor, in change-sequence order.
    public var records: [Record]
    /// The cursor to send next. Opaque to clients; store it only together with the page's records.
    public var nextCursor: String
    /// Whether more changes were already waiting when the page was cut.
    public var more: Bool

    /// Creates a page at the current protocol version.
    public init(
        protocolVersion: Int = ProtocolVersion.current, records: [Record], nextCursor: String, more: Bool
    ) {
        self.protocolVersion = protocolVersion
        self.records = records
        self.nextCursor = nextCursor
        self.more = more
    }
}

extension PullRequest: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case cursor, limit
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.cursor = try container.decodeTextIfPresent(forKey: .cursor, maxBytes: WireLimits.maxCursorBytes)
        if cursor?.isEmpty == true { throw container.invalid(.cursor, "must not be empty") }
        self.limit = try container.decodeIntIfPresent(forKey: .limit, in: 1...WireLimits.maxRecordsPerMessage)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(cursor, forKey: .cursor)
        try container.encodeIfPresent(limit, forKey: .limit)
    }
}

extension PullPage: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case protocolVersion, records, nextCursor, more
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.protocolVersion = try container.decodeProtocolVersion(forKey: .protocolVersion)
        self.records = try container.decodeRecords(forKey: .records, allowEmpty: true)
        self.nextCursor = try container.decodeText(forKey: .nextCursor, maxBytes: WireLimits.maxCursorBytes)
        self.more = try container.decode(Bool.self, forKey: .more)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(protocolVersion, forKey: .protocolVersion)
        try container.encode(records, forKey: .records)
        try container.encode(nextCursor, forKey: .nextCursor)
        try container.encode(more, forKey: .more)
    }
}
