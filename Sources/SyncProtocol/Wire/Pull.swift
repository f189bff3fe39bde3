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
    /// The protocol version negotiated in `hello` (the query's `protocolVersion`; 1 when absent): a version-2
    /// page also lists the records the team stopped reading, a version-1 page leaves out what version 1
    /// cannot represent.
    public var protocolVersion: Int

    /// Creates a pull request.
    public init(cursor: String? = nil, limit: Int? = nil, protocolVersion: Int = 1) {
        self.cursor = cursor
        self.limit = limit
        self.protocolVersion = protocolVersion
    }

    /// Checks a cursor and limit as they arrive in a query string; the server answers a failure with `400`.
    ///
    /// - Throws: ``WireDecodingError`` with kind `invalidValue` and the parameter's name as the path.
    public static func validated(
        cursor: String?, limit: String?, protocolVersion: String? = nil
    ) throws(WireDecodingError) -> PullRequest {
        let version = try ProtocolVersion.parseQuery(protocolVersion)
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
        return PullRequest(cursor: cursor, limit: parsedLimit, protocolVersion: version)
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
    /// Version 2: the records the team stopped reading after the request's cursor (its access ended): a device
    /// drops them with all their local state. Always empty in a version-1 page.
    public var removed: [RecordKey]

    /// Creates a page at the current protocol version.
    public init(
        protocolVersion: Int = ProtocolVersion.current, records: [Record], nextCursor: String, more: Bool,
        removed: [RecordKey] = []
    ) {
        self.protocolVersion = protocolVersion
        self.records = records
        self.nextCursor = nextCursor
        self.more = more
        self.removed = removed
    }
}

extension PullRequest: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case cursor, limit, protocolVersion
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond ``WireLimits`` are refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.cursor = try container.decodeTextIfPresent(forKey: .cursor, maxBytes: WireLimits.maxCursorBytes)
        if cursor?.isEmpty == true { throw container.invalid(.cursor, "must not be empty") }
        self.limit = try container.decodeIntIfPresent(forKey: .limit, in: 1...WireLimits.maxRecordsPerMessage)
        self.protocolVersion =
            container.contains(.protocolVersion) ? try container.decodeProtocolVersion(forKey: .protocolVersion) : 1
    }

    /// Encodes the wire form; absent optional fields are left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(cursor, forKey: .cursor)
        try container.encodeIfPresent(limit, forKey: .limit)
        if protocolVersion != 1 { try container.encode(protocolVersion, forKey: .protocolVersion) }
    }
}

extension PullPage: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case protocolVersion, records, nextCursor, more, removed
    }

    /// A record key as version 2 pages list it: `{"c":"notes","id":"..."}`.
    struct WireKey: Codable {
        var c: String
        var id: String
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond ``WireLimits`` are refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.protocolVersion = try container.decodeProtocolVersion(forKey: .protocolVersion)
        self.records = try container.decodeRecords(forKey: .records, allowEmpty: true)
        self.nextCursor = try container.decodeText(forKey: .nextCursor, maxBytes: WireLimits.maxCursorBytes)
        self.more = try container.decode(Bool.self, forKey: .more)
        if protocolVersion >= 2 {
            let keys = try container.decode([WireKey].self, forKey: .removed)
            guard keys.count <= WireLimits.maxRecordsPerMessage,
                keys.allSatisfy({ Names.isValidName($0.c) && Names.isValidRecordID($0.id) })
            else { throw container.invalid(.removed, "must be at most \(WireLimits.maxRecordsPerMessage) record keys") }
            self.removed = keys.map { RecordKey(collection: $0.c, id: $0.id) }
        } else {
            guard !container.contains(.removed) else { throw container.invalid(.removed, "unknown field") }
            self.removed = []
        }
    }

    /// Encodes the wire form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(protocolVersion, forKey: .protocolVersion)
        try container.encode(records, forKey: .records)
        try container.encode(nextCursor, forKey: .nextCursor)
        try container.encode(more, forKey: .more)
        if protocolVersion >= 2 {
            try container.encode(removed.map { WireKey(c: $0.collection, id: $0.id) }, forKey: .removed)
        }
    }
}
