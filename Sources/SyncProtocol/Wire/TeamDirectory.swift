/// One device in a team's directory: who writes with a replica id.
///
/// Names only: the directory carries no token, no enrolment time and no activity, because all a
/// device needs it for is to say whose value a conflict candidate is.
public struct TeamDevice: Sendable, Hashable {
    /// The adviser the device belongs to, e.g. `lars`.
    public var adviser: String
    /// The name the device gave itself when it enrolled, e.g. `laptop`.
    public var device: String
    /// The replica id the device writes with.
    public var replica: ReplicaID
    /// Whether the device has been revoked. Its earlier writes still appear in records, so it stays listed.
    public var revoked: Bool

    /// Creates a directory entry.
    public init(adviser: String, device: String, replica: ReplicaID, revoked: Bool = false) {
        self.adviser = adviser
        self.device = device
        self.replica = replica
        self.revoked = revoked
    }
}

/// Every device ever enrolled for an adviser of a team, so a client can name the writers of conflict
/// candidates ("lars (laptop)" rather than a replica id).
///
/// `GET /v1/teams/{team}/devices` with a bearer token. Devices are sorted by replica id (UTF-8 bytes),
/// each listed once; `revoked` appears only when true.
///
/// ```json
/// {"devices":[{"adviser":"lars","device":"laptop","replica":"k3v9q2m7x1ab"}],"protocolVersion":1}
/// ```
public struct TeamDirectory: Sendable, Hashable {
    /// The protocol version of the answer.
    public var protocolVersion: Int
    /// The devices, sorted by replica id.
    public var devices: [TeamDevice]

    /// Creates a directory at the current protocol version; `devices` are sorted by replica id.
    public init(protocolVersion: Int = ProtocolVersion.current, devices: [TeamDevice]) {
        self.protocolVersion = protocolVersion
        self.devices = devices.sorted { $0.replica < $1.replica }
    }

    /// The device that writes with `replica`, if the directory knows it.
    public func device(replica: ReplicaID) -> TeamDevice? {
        // Sorted and unique by construction or by decoding, so a binary search would do; directories are
        // small (a team has a few dozen devices), so a scan keeps this obvious.
        devices.first { $0.replica == replica }
    }
}

extension TeamDevice: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case adviser, device, replica, revoked
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond ``WireLimits`` are refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.adviser = try container.decodeIdentifier(forKey: .adviser)
        self.device = try container.decodeText(forKey: .device, maxBytes: WireLimits.maxLabelBytes)
        self.replica = try container.decode(ReplicaID.self, forKey: .replica)
        self.revoked = try container.decodeIfPresent(Bool.self, forKey: .revoked) ?? false
    }

    /// Encodes the wire form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(adviser, forKey: .adviser)
        try container.encode(device, forKey: .device)
        try container.encode(replica, forKey: .replica)
        // Absent means false, so the common case stays short and the encoding canonical.
        if revoked { try container.encode(true, forKey: .revoked) }
    }
}

extension TeamDirectory: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case protocolVersion, devices
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond ``WireLimits`` are refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.protocolVersion = try container.decodeProtocolVersion(forKey: .protocolVersion)
        let devices = try container.decode([TeamDevice].self, forKey: .devices)
        guard devices.count <= WireLimits.maxRecordsPerMessage else {
            throw container.invalid(.devices, "must hold at most \(WireLimits.maxRecordsPerMessage) devices")
        }
        // Strictly ascending replica ids: one canonical order, and no replica named twice (which would make
        // "who wrote this" ambiguous).
        for index in devices.indices.dropFirst() where !(devices[index - 1].replica < devices[index].replica) {
            let path: [any CodingKey] = container.codingPath + [CodingKeys.devices, AnyCodingKey(intValue: index)]
            throw WireValueError(
                kind: .invalidValue, codingPath: path,
                reason: "devices must be sorted by replica id, each replica once")
        }
        self.devices = devices
    }

    /// Encodes the wire form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(devices, forKey: .devices)
        try container.encode(protocolVersion, forKey: .protocolVersion)
    }
}
