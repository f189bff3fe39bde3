/// A message read straight from bytes by ``JSONScanner`` instead of `JSONDecoder`.
protocol WireScannable {
    static func scan(_ scanner: inout JSONScanner) throws(WireScanError) -> Self
}

/// A message written straight to bytes by ``JSONWriter`` instead of `JSONEncoder` (same bytes).
protocol WireWritable {
    func write(to writer: inout JSONWriter)
}

extension Record: WireScannable, WireWritable {}

extension PullPage: WireScannable, WireWritable {
    static func scan(_ scanner: inout JSONScanner) throws(WireScanError) -> PullPage {
        var fields = EnvelopeFields()
        try fields.scan(&scanner, known: ["protocolVersion", "records", "nextCursor", "more"])
        return PullPage(
            protocolVersion: try fields.require("protocolVersion"),
            records: try fields.require("records"),
            nextCursor: try fields.require("nextCursor"),
            more: try fields.require("more"))
    }

    func write(to writer: inout JSONWriter) {
        writer.rawKey("{\"more\"")
        writer.bool(more)
        writer.raw(",\"nextCursor\":")
        writer.string(nextCursor)
        writer.raw(",\"protocolVersion\":")
        writer.integer(protocolVersion)
        writer.raw(",\"records\":")
        writeRecords(records, to: &writer)
        writer.byte(UInt8(ascii: "}"))
    }
}

extension PushBatch: WireScannable, WireWritable {
    static func scan(_ scanner: inout JSONScanner) throws(WireScanError) -> PushBatch {
        var fields = EnvelopeFields()
        try fields.scan(&scanner, known: ["protocolVersion", "replica", "batchId", "records", "cursor", "final"])
        let protocolVersion: Int = try fields.require("protocolVersion")
        let replica: ReplicaID = try fields.require("replica")
        let batchID: String = try fields.require("batchId")
        let records: [Record] = try fields.require("records")
        let final = fields.final ?? false
        // An empty batch is only meaningful as a checkpoint: "my outbox is empty, I had applied `cursor`".
        guard final || !records.isEmpty else {
            throw WireScanError(kind: .invalidValue, path: [.key("records")], reason: "must hold at least one record")
        }
        return PushBatch(
            protocolVersion: protocolVersion, replica: replica, batchID: batchID, records: records,
            cursor: fields.cursor, final: final)
    }

    func write(to writer: inout JSONWriter) {
        writer.rawKey("{\"batchId\"")
        writer.string(batchID)
        if let cursor {
            writer.raw(",\"cursor\":")
            writer.string(cursor)
        }
        // Absent means false, so the common case costs nothing on the wire.
        if final { writer.raw(",\"final\":true") }
        writer.raw(",\"protocolVersion\":")
        writer.integer(protocolVersion)
        writer.raw(",\"records\":")
        writeRecords(records, to: &writer)
        writer.raw(",\"replica\":")
        writer.string(replica.rawValue)
        writer.byte(UInt8(ascii: "}"))
    }
}

private func writeRecords(_ records: [Record], to writer: inout JSONWriter) {
    writer.byte(UInt8(ascii: "["))
    for (index, record) in records.enumerated() {
        if index > 0 { writer.comma() }
        record.write(to: &writer)
    }
    writer.byte(UInt8(ascii: "]"))
}

/// The envelope fields of the record-carrying messages, read with the rules of `StrictDecoding.swift`.
private struct EnvelopeFields {
    var protocolVersion: Int?
    var replica: ReplicaID?
    var batchID: String?
    var records: [Record]?
    var cursor: String?
    var final: Bool?
    var nextCursor: String?
    var more: Bool?
    var seen = Set<String>()

    mutating func scan(_ scanner: inout JSONScanner, known: Set<String>) throws(WireScanError) {
        try scanner.beginObject()
        var first = true
        while let key = try scanner.nextKey(first: first) {
            first = false
            scanner.push(.key(key))
            guard known.contains(key) else { throw scanner.failure(.unknownField, "unknown field") }
            guard seen.insert(key).inserted else { throw scanner.failure(.malformedJSON, "repeated member name") }
            switch key {
            case "protocolVersion":
                let value = try scanner.readInteger()
                guard (1...1_000).contains(value) else {
                    throw scanner.failure(.invalidValue, "must be between 1 and 1000")
                }
                guard ProtocolVersion.supported.contains(Int(value)) else {
                    throw scanner.failure(
                        .unsupportedVersion,
                        "protocol version \(value) is not supported (supported: \(ProtocolVersion.supported))")
                }
                protocolVersion = Int(value)
            case "replica":
                let text = try scanner.readString()
                guard ReplicaID.isValid(text) else { throw scanner.failure(.invalidValue, "invalid replica id") }
                replica = ReplicaID(unchecked: text)
            case "batchId":
                let text = try scanner.readString()
                guard WireLimits.isValidIdentifier(text) else {
                    throw scanner.failure(
                        .invalidValue,
                        "not a valid identifier (1-\(WireLimits.maxIdentifierBytes) of [A-Za-z0-9._:-])")
                }
                batchID = text
            case "records": records = try Self.scanRecords(&scanner)
            case "cursor":
                // Optional members are left out when absent; `null` is a wrong type (README §7).
                cursor = try Self.scanCursor(&scanner)
            case "nextCursor": nextCursor = try Self.scanCursor(&scanner)
            case "final":
                final = try scanner.readBool()
            case "more": more = try scanner.readBool()
            default: break
            }
            scanner.pop()
        }
    }

    private static func scanCursor(_ scanner: inout JSONScanner) throws(WireScanError) -> String {
        let text = try scanner.readString()
        guard text.utf8.count <= WireLimits.maxCursorBytes else {
            throw scanner.failure(.invalidValue, "longer than \(WireLimits.maxCursorBytes) bytes")
        }
        guard !text.isEmpty else { throw scanner.failure(.invalidValue, "must not be empty") }
        return text
    }

    /// At most ``WireLimits/maxRecordsPerMessage`` records, each record at most once.
    private static func scanRecords(_ scanner: inout JSONScanner) throws(WireScanError) -> [Record] {
        var records: [Record] = []
        var seen = Set<RecordKey>()
        try scanner.beginArray()
        while try scanner.nextElement(first: records.isEmpty) {
            guard records.count < WireLimits.maxRecordsPerMessage else {
                throw scanner.failure(.invalidValue, "more than \(WireLimits.maxRecordsPerMessage) records")
            }
            scanner.push(.index(records.count))
            let record = try Record.scan(&scanner)
            guard seen.insert(record.key).inserted else {
                throw scanner.failure(.invalidValue, "record \(record.key) appears twice")
            }
            records.append(record)
            scanner.pop()
        }
        return records
    }

    /// The value read for `key`, or a `missing_field` error naming it.
    func require<T>(_ key: String) throws(WireScanError) -> T {
        let value: Any? =
            switch key {
            case "protocolVersion": protocolVersion
            case "replica": replica
            case "batchId": batchID
            case "records": records
            case "nextCursor": nextCursor
            case "more": more
            default: nil
            }
        guard let value = value as? T else {
            throw WireScanError(kind: .missingField, path: [.key(key)], reason: "required field is missing")
        }
        return value
    }
}
