/// The server's answer to a ``PushBatch``: what became of each record, in the batch's order.
///
/// ```json
/// {"batchId":"b-01J9Z3","protocolVersion":1,"results":[{"c":"notes","id":"n1","status":"accepted"}],
///  "sequence":42}
/// ```
public struct PushResult: Sendable, Hashable {
    /// The protocol version negotiated by ``HelloRequest``.
    public var protocolVersion: Int
    /// The batch this answers.
    public var batchID: String
    /// The team's change sequence position after the batch was applied: the highest position of any
    /// change the server holds for the team. Informational; the pull cursor is the source of truth.
    public var sequence: UInt64
    /// One outcome per record of the batch, in the batch's order.
    public var results: [PushOutcome]

    /// Creates a push result at the current protocol version.
    public init(
        protocolVersion: Int = ProtocolVersion.current, batchID: String, sequence: UInt64,
        results: [PushOutcome]
    ) {
        self.protocolVersion = protocolVersion
        self.batchID = batchID
        self.sequence = sequence
        self.results = results
    }
}

/// What the server did with one pushed record.
public struct PushOutcome: Sendable, Hashable {
    /// The two outcomes of a push.
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// The server's state of the record is now exactly the state the device sent (it was new,
        /// dominated what the server had, or equalled it). The device has nothing to apply.
        case accepted
        /// The server already held changes the device had not seen; its merged state differs from what
        /// the device sent and is in ``PushOutcome/record``. The device merges it in.
        case merged
    }

    /// The record's collection.
    public var collection: String
    /// The record's id.
    public var id: String
    /// What happened.
    public var status: Status
    /// The server's merged state, present exactly when ``status`` is ``Status/merged``.
    public var record: Record?

    /// An `accepted` outcome for the record with `key`.
    public static func accepted(_ key: RecordKey) -> PushOutcome {
        PushOutcome(collection: key.collection, id: key.id, status: .accepted, record: nil)
    }

    /// A `merged` outcome carrying the server's merged state.
    public static func merged(_ record: Record) -> PushOutcome {
        PushOutcome(collection: record.key.collection, id: record.key.id, status: .merged, record: record)
    }

    /// The key of the record this outcome is about.
    public var key: RecordKey { RecordKey(collection: collection, id: id) }

    init(collection: String, id: String, status: Status, record: Record?) {
        self.collection = collection
        self.id = id
        self.status = status
        self.record = record
    }
}

extension PushResult: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case protocolVersion, batchID = "batchId", sequence, results
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond ``WireLimits`` are refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.protocolVersion = try container.decodeProtocolVersion(forKey: .protocolVersion)
        self.batchID = try container.decodeIdentifier(forKey: .batchID)
        self.sequence = try container.decode(UInt64.self, forKey: .sequence)
        guard sequence <= WireLimits.maxSafeInteger else {
            throw container.invalid(.sequence, "above 2^53 - 1")
        }
        self.results = try container.decode([PushOutcome].self, forKey: .results)
        guard results.count <= WireLimits.maxRecordsPerMessage else {
            throw container.invalid(.results, "more than \(WireLimits.maxRecordsPerMessage) results")
        }
    }

    /// Encodes the wire form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(protocolVersion, forKey: .protocolVersion)
        try container.encode(batchID, forKey: .batchID)
        try container.encode(sequence, forKey: .sequence)
        try container.encode(results, forKey: .results)
    }
}

extension PushOutcome: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case collection = "c", id, status, record
    }

    /// Decodes strictly: unknown keys, wrong types and values beyond ``WireLimits`` are refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.collection = try container.decodeText(forKey: .collection, maxBytes: WireLimits.maxIdentifierBytes)
        self.id = try container.decodeText(forKey: .id, maxBytes: WireLimits.maxIdentifierBytes)
        self.status = try container.decode(Status.self, forKey: .status)
        self.record = try container.decodeIfPresent(Record.self, forKey: .record)
        switch (status, record) {
        case (.accepted, .some):
            throw container.invalid(.record, "an accepted outcome carries no record")
        case (.merged, .none):
            throw WireValueError(
                kind: .missingField, codingPath: container.codingPath + [CodingKeys.record],
                reason: "a merged outcome carries the merged record"
            )
        case (.merged, .some(let record)) where record.key != key:
            throw container.invalid(.record, "merged record \(record.key) does not match \(key)")
        default:
            break
        }
    }

    /// Encodes the wire form; absent optional fields are left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(collection, forKey: .collection)
        try container.encode(id, forKey: .id)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(record, forKey: .record)
    }
}
