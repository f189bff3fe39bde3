/// A batch of changed records a device sends to its team's server.
///
/// `POST /v1/teams/{team}/push`. The server merges every record into its copy in one transaction,
/// so a batch is applied whole or not at all. Sending the same batch again is harmless: merge is
/// idempotent, and a record whose merge changes nothing gets no new position in the change sequence.
///
/// ```json
/// {"batchId":"b-01J9Z3","protocolVersion":1,"records":[...],"replica":"k3v9q2m7x1ab"}
/// ```
public struct PushBatch: Sendable, Hashable {
    /// The protocol version negotiated by ``HelloRequest``.
    public var protocolVersion: Int
    /// The pushing device's replica id (as assigned at enrolment).
    public var replica: ReplicaID
    /// A fresh id per batch, kept when the same batch is retried; servers log it and may use it to
    /// answer a retry from a cache.
    public var batchID: String
    /// The records, each the device's full current state of one record. At most one per record.
    public var records: [Record]
    /// The pull cursor the device had applied when this push began (`nil` before its first pull).
    ///
    /// With ``final`` it tells the server which versions the device had received before sending all its
    /// older operations, which is how the server learns stable clocks for compaction (merge.md, "Metadata
    /// bounds and garbage collection").
    public var cursor: String?
    /// Whether this batch ends a push that walked the device's whole outbox, as it was when the push began.
    /// A final batch may be empty: a checkpoint sent by a device with nothing to push whose cursor moved.
    public var final: Bool

    /// Creates a batch at the current protocol version.
    public init(
        protocolVersion: Int = ProtocolVersion.current, replica: ReplicaID, batchID: String, records: [Record],
        cursor: String? = nil, final: Bool = false
    ) {
        self.protocolVersion = protocolVersion
        self.replica = replica
        self.batchID = batchID
        self.records = records
        self.cursor = cursor
        self.final = final
    }
}

extension PushBatch: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case protocolVersion, replica, batchID = "batchId", records, cursor, final
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond ``WireLimits`` are refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.protocolVersion = try container.decodeProtocolVersion(forKey: .protocolVersion)
        self.replica = try container.decode(ReplicaID.self, forKey: .replica)
        self.batchID = try container.decodeIdentifier(forKey: .batchID)
        self.final = try container.decodeIfPresent(Bool.self, forKey: .final) ?? false
        // An empty batch is only meaningful as a checkpoint: "my outbox is empty, I had applied `cursor`".
        self.records = try container.decodeRecords(forKey: .records, allowEmpty: final)
        self.cursor = try container.decodeTextIfPresent(forKey: .cursor, maxBytes: WireLimits.maxCursorBytes)
        if cursor?.isEmpty == true { throw container.invalid(.cursor, "must not be empty") }
    }

    /// Encodes the wire form; absent optional fields are left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(protocolVersion, forKey: .protocolVersion)
        try container.encode(replica, forKey: .replica)
        try container.encode(batchID, forKey: .batchID)
        try container.encode(records, forKey: .records)
        try container.encodeIfPresent(cursor, forKey: .cursor)
        // Absent means false, so the common case costs nothing on the wire.
        if final { try container.encode(final, forKey: .final) }
    }
}

extension KeyedDecodingContainer {
    /// Decodes a list of records: at most ``WireLimits/maxRecordsPerMessage``, each record at most once.
    func decodeRecords(forKey key: Key, allowEmpty: Bool) throws -> [Record] {
        var list = try nestedUnkeyedContainer(forKey: key)
        if let count = list.count, count > WireLimits.maxRecordsPerMessage {
            throw invalid(key, "more than \(WireLimits.maxRecordsPerMessage) records")
        }
        var records: [Record] = []
        var seen = Set<RecordKey>()
        while !list.isAtEnd {
            let record = try list.decode(Record.self)
            guard seen.insert(record.key).inserted else {
                throw WireValueError(
                    kind: .invalidValue, codingPath: codingPath + [key, AnyCodingKey(intValue: records.count)],
                    reason: "record \(record.key) appears twice"
                )
            }
            records.append(record)
        }
        guard allowEmpty || !records.isEmpty else { throw invalid(key, "must hold at least one record") }
        return records
    }
}
