/// The first request of a sync session: which protocol versions the client speaks.
///
/// `POST /v1/hello` with a bearer token. The answer is a ``HelloResponse``, or `400 unsupported_version`
/// when the two sides share no version.
///
/// ```json
/// {"client":"fieldcli/0.1","protocolVersions":[1]}
/// ```
public struct HelloRequest: Sendable, Hashable {
    /// Every protocol version the client speaks.
    public var protocolVersions: [Int]
    /// The client software and its version, for the server's logs; optional.
    public var client: String?

    /// Creates a hello request offering the versions this build speaks.
    public init(protocolVersions: [Int] = ProtocolVersion.supported, client: String? = nil) {
        self.protocolVersions = protocolVersions
        self.client = client
    }
}

/// The server's answer to ``HelloRequest``: the chosen version, who the server is, and its limits.
public struct HelloResponse: Sendable, Hashable {
    /// The version both sides use from now on: the highest one both speak.
    public var protocolVersion: Int
    /// The device the bearer token belongs to.
    public var deviceID: String
    /// The teams whose records this device may push and pull.
    public var teams: [String]
    /// The server's replica id, versions and limits.
    public var server: ServerInfo

    /// Creates a hello response.
    public init(protocolVersion: Int, deviceID: String, teams: [String], server: ServerInfo) {
        self.protocolVersion = protocolVersion
        self.deviceID = deviceID
        self.teams = teams
        self.server = server
    }
}

extension HelloRequest: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case protocolVersions, client
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond ``WireLimits`` are refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.protocolVersions = try container.decodeVersionList(forKey: .protocolVersions)
        self.client = try container.decodeLabelIfPresent(forKey: .client)
    }

    /// Encodes the wire form; absent optional fields are left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(protocolVersions, forKey: .protocolVersions)
        try container.encodeIfPresent(client, forKey: .client)
    }
}

extension HelloResponse: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case protocolVersion, deviceID = "deviceId", teams, server
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond ``WireLimits`` are refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.protocolVersion = try container.decodeProtocolVersion(forKey: .protocolVersion)
        self.deviceID = try container.decodeIdentifier(forKey: .deviceID)
        self.teams = try container.decodeIdentifierList(forKey: .teams)
        self.server = try container.decode(ServerInfo.self, forKey: .server)
    }

    /// Encodes the wire form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(protocolVersion, forKey: .protocolVersion)
        try container.encode(deviceID, forKey: .deviceID)
        try container.encode(teams, forKey: .teams)
        try container.encode(server, forKey: .server)
    }
}

extension KeyedDecodingContainer {
    /// Decodes a list of at most 1,000 distinct identifiers.
    func decodeIdentifierList(forKey key: Key) throws -> [String] {
        let values = try decode([String].self, forKey: key)
        guard values.count <= 1_000, values.allSatisfy(WireLimits.isValidIdentifier),
            Set(values).count == values.count
        else {
            throw invalid(key, "must be at most 1000 distinct identifiers")
        }
        return values
    }
}
