/// Enrolment: a new device trades a one-time code, issued by an administrator for an adviser, for a
/// device identity and a bearer token.
///
/// `POST /v1/enroll`, no token. A code works once and expires; an unknown, used or expired code gets
/// `401 invalid_enrollment_code`.
///
/// ```json
/// {"code":"K7QF-2MZP-9WXD","deviceName":"laptop-anna","protocolVersions":[1],"replica":"k3v9q2m7x1ab"}
/// ```
public struct EnrollRequest: Sendable, Hashable {
    /// The one-time enrolment code.
    public var code: String
    /// A name for the device that people recognise in device lists ("Anna's laptop").
    public var deviceName: String
    /// Every protocol version the client speaks.
    public var protocolVersions: [Int]
    /// The replica id the device already writes with. A device takes notes offline before it is ever
    /// enrolled, so its records already carry dots of this id; the server registers it (refusing, with
    /// `409 replica_in_use`, an id another device holds). `nil` lets the server assign one.
    public var replica: ReplicaID?
    /// Re-enrolment (README §4.1): the token of the device this store was enrolled as before (revoked or
    /// not), proving that the store's earlier replica ids are its own. The server then counts them as the new
    /// device's own in the push rule (README §11.3), so the store's unsynced writes under them are accepted,
    /// and revokes the earlier device. `nil` for a first enrolment.
    public var previousToken: String?

    /// Creates an enrolment request offering the versions this build speaks.
    public init(
        code: String, deviceName: String, replica: ReplicaID? = nil, previousToken: String? = nil,
        protocolVersions: [Int] = ProtocolVersion.supported
    ) {
        self.code = code
        self.deviceName = deviceName
        self.replica = replica
        self.previousToken = previousToken
        self.protocolVersions = protocolVersions
    }
}

/// What a device receives once enrolled. The token is shown only this once; the server keeps a hash.
public struct EnrollResponse: Sendable, Hashable {
    /// The version chosen for this device.
    public var protocolVersion: Int
    /// The device's id, as listed and revoked by administrators.
    public var deviceID: String
    /// The replica id the device must use in every clock and dot it writes: the one the request
    /// brought, or one the server assigned. Never shared by two devices.
    public var replica: ReplicaID
    /// The bearer token for `Authorization: Bearer <token>`. A secret: store it encrypted.
    public var token: String
    /// The teams the device's adviser belongs to.
    public var teams: [String]
    /// The server's replica id, versions and limits.
    public var server: ServerInfo

    /// Creates an enrolment response.
    public init(
        protocolVersion: Int, deviceID: String, replica: ReplicaID, token: String, teams: [String],
        server: ServerInfo
    ) {
        self.protocolVersion = protocolVersion
        self.deviceID = deviceID
        self.replica = replica
        self.token = token
        self.teams = teams
        self.server = server
    }
}

extension EnrollRequest: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case code, deviceName, protocolVersions, replica, previousToken
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond ``WireLimits`` are refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.code = try container.decodeText(forKey: .code, maxBytes: WireLimits.maxSecretBytes)
        self.deviceName = try container.decodeLabel(forKey: .deviceName)
        self.protocolVersions = try container.decodeVersionList(forKey: .protocolVersions)
        // Left out when absent; `null` is wrong_type (decode, not decodeIfPresent, which takes null as absent).
        self.replica = container.contains(.replica) ? try container.decode(ReplicaID.self, forKey: .replica) : nil
        self.previousToken =
            container.contains(.previousToken)
            ? try container.decodeText(forKey: .previousToken, maxBytes: WireLimits.maxSecretBytes) : nil
    }

    /// Encodes the wire form; an absent `replica` or `previousToken` is left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(deviceName, forKey: .deviceName)
        try container.encode(protocolVersions, forKey: .protocolVersions)
        try container.encodeIfPresent(replica, forKey: .replica)
        try container.encodeIfPresent(previousToken, forKey: .previousToken)
    }
}

extension EnrollResponse: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case protocolVersion, deviceID = "deviceId", replica, token, teams, server
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond ``WireLimits`` are refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.protocolVersion = try container.decodeProtocolVersion(forKey: .protocolVersion)
        self.deviceID = try container.decodeIdentifier(forKey: .deviceID)
        self.replica = try container.decode(ReplicaID.self, forKey: .replica)
        self.token = try container.decodeText(forKey: .token, maxBytes: WireLimits.maxSecretBytes)
        self.teams = try container.decodeIdentifierList(forKey: .teams)
        self.server = try container.decode(ServerInfo.self, forKey: .server)
    }

    /// Encodes the wire form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(protocolVersion, forKey: .protocolVersion)
        try container.encode(deviceID, forKey: .deviceID)
        try container.encode(replica, forKey: .replica)
        try container.encode(token, forKey: .token)
        try container.encode(teams, forKey: .teams)
        try container.encode(server, forKey: .server)
    }
}
