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
        try fields.scan(&scanner, known: ["protocolVersion", "records", "nextCursor", "more", "removed"])
        let version: Int = try fields.require("protocolVersion")
        // Version 2 pages always say which records the team stopped reading; version 1 pages never do.
        if version >= 2, fields.removed == nil {
            throw WireScanError(kind: .missingField, path: [.key("removed")], reason: "required field is missing")
        }
        if version < 2, fields.removed != nil {
            throw WireScanError(kind: .unknownField, path: [.key("removed")], reason: "unknown field")
        }
        return PullPage(
            protocolVersion: version,
            records: try fields.require("records"),
            nextCursor: try fields.require("nextCursor"),
            more: try fields.require("more"),
            removed: fields.removed ?? [])
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
        if protocolVersion >= 2 {
            writer.raw(",\"removed\":")
            writeKeys(removed, to: &writer)
        }
        writer.byte(UInt8(ascii: "}"))
    }
}

/// Writes record keys as `[{"c":"notes","id":"..."}]` (the order of the wire form's keys).
func writeKeys(_ keys: [RecordKey], to writer: inout JSONWriter) {
    writer.byte(UInt8(ascii: "["))
    for (index, key) in keys.enumerated() {
        if index > 0 { writer.comma() }
        writer.rawKey("{\"c\"")
        writer.string(key.collection)
        writer.raw(",\"id\":")
        writer.string(key.id)
        writer.byte(UInt8(ascii: "}"))
    }
    writer.byte(UInt8(ascii: "]"))
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
    var removed: [RecordKey]?
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
            case "removed": removed = try Self.scanKeys(&scanner)
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

    /// At most ``WireLimits/maxRecordsPerMessage`` record keys `{"c":...,"id":...}`, each at most once.
    private static func scanKeys(_ scanner: inout JSONScanner) throws(WireScanError) -> [RecordKey] {
        var keys: [RecordKey] = []
        var seen = Set<RecordKey>()
        try scanner.beginArray()
        while try scanner.nextElement(first: keys.isEmpty) {
            guard keys.count < WireLimits.maxRecordsPerMessage else {
                throw scanner.failure(.invalidValue, "more than \(WireLimits.maxRecordsPerMessage) keys")
            }
            scanner.push(.index(keys.count))
            try scanner.beginObject()
            var collection: String?
            var id: String?
            var first = true
            while let member = try scanner.nextKey(first: first) {
                first = false
                scanner.push(.key(member))
                switch member {
                case "c":
                    guard collection == nil else { throw scanner.failure(.malformedJSON, "repeated member name") }
                    let text = try scanner.readString()
                    guard Names.isValidName(text) else {
                        throw scanner.failure(.invalidValue, "invalid collection name")
                    }
                    collection = text
                case "id":
                    guard id == nil else { throw scanner.failure(.malformedJSON, "repeated member name") }
                    let text = try scanner.readString()
                    guard Names.isValidRecordID(text) else { throw scanner.failure(.invalidValue, "invalid record id") }
                    id = text
                default: throw scanner.failure(.unknownField, "unknown field")
                }
                scanner.pop()
            }
            guard let collection, let id else {
                throw WireScanError(
                    kind: .missingField, path: scanner.path + [.key(collection == nil ? "c" : "id")],
                    reason: "required field is missing")
            }
            let key = RecordKey(collection: collection, id: id)
            guard seen.insert(key).inserted else { throw scanner.failure(.invalidValue, "a key appears twice") }
            keys.append(key)
            scanner.pop()
        }
        return keys
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
