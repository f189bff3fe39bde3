/// What a server tells a client about itself during negotiation and enrolment.
public struct ServerInfo: Sendable, Hashable {
    /// The server's replica id: the id it uses in clocks when it writes itself (for example a purge).
    public var replica: ReplicaID
    /// Every protocol version the server speaks, ascending.
    public var protocolVersions: [Int]
    /// The limits the server enforces; a client sizes its batches and pages to stay within them.
    public var limits: ServerLimits

    /// Creates server information.
    public init(replica: ReplicaID, protocolVersions: [Int] = ProtocolVersion.supported, limits: ServerLimits) {
        self.replica = replica
        self.protocolVersions = protocolVersions
        self.limits = limits
    }
}

/// The limits a server enforces, announced so that a well-behaved client never hits them.
public struct ServerLimits: Sendable, Hashable {
    /// Largest request body in bytes; a larger body is refused with `413 payload_too_large`.
    public var maxBodyBytes: Int
    /// Most records in one push batch; more is refused with `413 batch_too_large`.
    public var maxBatchRecords: Int
    /// Most records in one pull page; a larger `limit` is lowered to this.
    public var maxPageRecords: Int
    /// Page size used when a pull names no `limit`.
    public var defaultPageRecords: Int

    /// Creates limits.
    public init(maxBodyBytes: Int, maxBatchRecords: Int, maxPageRecords: Int, defaultPageRecords: Int) {
        self.maxBodyBytes = maxBodyBytes
        self.maxBatchRecords = maxBatchRecords
        self.maxPageRecords = maxPageRecords
        self.defaultPageRecords = defaultPageRecords
    }

    /// The limits the reference server uses unless configured otherwise: 8 MiB bodies, 500 records per
    /// batch, pages of 500 records by default and 2,000 at most.
    public static let standard = ServerLimits(
        maxBodyBytes: 8 << 20, maxBatchRecords: 500, maxPageRecords: 2_000, defaultPageRecords: 500
    )
}

extension ServerInfo: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case replica, protocolVersions, limits
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond ``WireLimits`` are refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.replica = try container.decode(ReplicaID.self, forKey: .replica)
        self.protocolVersions = try container.decodeVersionList(forKey: .protocolVersions)
        self.limits = try container.decode(ServerLimits.self, forKey: .limits)
    }

    /// Encodes the wire form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(replica, forKey: .replica)
        try container.encode(protocolVersions, forKey: .protocolVersions)
        try container.encode(limits, forKey: .limits)
    }
}

extension ServerLimits: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxBodyBytes, maxBatchRecords, maxPageRecords, defaultPageRecords
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond the protocol's limits are refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.maxBodyBytes = try container.decodeInt(forKey: .maxBodyBytes, in: 1_024...(1 << 30))
        let records = 1...WireLimits.maxRecordsPerMessage
        self.maxBatchRecords = try container.decodeInt(forKey: .maxBatchRecords, in: records)
        self.maxPageRecords = try container.decodeInt(forKey: .maxPageRecords, in: records)
        self.defaultPageRecords = try container.decodeInt(forKey: .defaultPageRecords, in: records)
        guard defaultPageRecords <= maxPageRecords else {
            throw container.invalid(.defaultPageRecords, "must not exceed maxPageRecords")
        }
    }

    /// Encodes the wire form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(maxBodyBytes, forKey: .maxBodyBytes)
        try container.encode(maxBatchRecords, forKey: .maxBatchRecords)
        try container.encode(maxPageRecords, forKey: .maxPageRecords)
        try container.encode(defaultPageRecords, forKey: .defaultPageRecords)
    }
}

extension KeyedDecodingContainer {
    /// Decodes a non-empty list of protocol versions, each between 1 and 1000, without repeats.
    func decodeVersionList(forKey key: Key) throws -> [Int] {
        let versions = try decode([Int].self, forKey: key)
        guard !versions.isEmpty, versions.count <= WireLimits.maxOfferedVersions else {
            throw invalid(key, "must list 1 to \(WireLimits.maxOfferedVersions) versions")
        }
        guard versions.allSatisfy({ (1...1_000).contains($0) }), Set(versions).count == versions.count else {
            throw invalid(key, "versions must be distinct integers between 1 and 1000")
        }
        return versions
    }
}
