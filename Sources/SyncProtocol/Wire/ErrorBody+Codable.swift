extension ErrorBody: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case code, message, retryable, retryAfterSeconds, details
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond ``WireLimits`` are refused; an unknown
    /// code is kept as it is.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let code = try container.decodeText(forKey: .code, maxBytes: WireLimits.maxIdentifierBytes)
        self.code = ErrorCode(rawValue: code)
        self.message = try container.decodeText(
            forKey: .message, maxBytes: WireLimits.maxLabelBytes,
            allowEmpty: true)
        self.retryable = try container.decode(Bool.self, forKey: .retryable)
        self.retryAfterSeconds = try container.decodeIntIfPresent(
            forKey: .retryAfterSeconds, in: 0...WireLimits.maxRetryAfterSeconds
        )
        self.details = try container.decodeIfPresent(ErrorDetails.self, forKey: .details)
    }

    /// Encodes the wire form; absent optional fields are left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(message, forKey: .message)
        try container.encode(retryable, forKey: .retryable)
        try container.encodeIfPresent(retryAfterSeconds, forKey: .retryAfterSeconds)
        try container.encodeIfPresent(details, forKey: .details)
    }
}

extension ErrorDetails: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case collection, id, path, index
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond ``WireLimits`` are refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.collection = try container.decodeTextIfPresent(
            forKey: .collection,
            maxBytes: WireLimits.maxIdentifierBytes)
        self.id = try container.decodeTextIfPresent(forKey: .id, maxBytes: WireLimits.maxIdentifierBytes)
        self.path = try container.decodeTextIfPresent(forKey: .path, maxBytes: WireLimits.maxLabelBytes)
        self.index = try container.decodeIntIfPresent(forKey: .index, in: 0...WireLimits.maxRecordsPerMessage)
    }

    /// Encodes the wire form; absent fields are left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(collection, forKey: .collection)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encodeIfPresent(path, forKey: .path)
        try container.encodeIfPresent(index, forKey: .index)
    }
}
