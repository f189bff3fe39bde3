extension VersionVector: Codable {
    private struct ReplicaKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes `{"replica": counter, ...}`, checking every id, every counter
    /// (at most ``ProtocolLimits/maxCounter``) and the number of entries
    /// (at most ``ProtocolLimits/maxClockEntries``). Zero entries are ignored.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: ReplicaKey.self)
        guard container.allKeys.count <= ProtocolLimits.maxClockEntries else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription:
                        "clock has \(container.allKeys.count) entries, limit \(ProtocolLimits.maxClockEntries)",
                    underlyingError: ModelError.tooManyClockEntries(container.allKeys.count)
                ))
        }
        var entries: [ReplicaID: UInt64] = [:]
        for key in container.allKeys {
            guard ReplicaID.isValid(key.stringValue) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "invalid replica id"
                )
            }
            let counter = try container.decode(UInt64.self, forKey: key)
            guard counter <= ProtocolLimits.maxCounter else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "counter above 2^53 - 1"
                )
            }
            if counter > 0 { entries[ReplicaID(unchecked: key.stringValue)] = counter }
        }
        self.init(entries)
    }

    /// Encodes `{"replica": counter, ...}`; SyncProtocolTesting's `CanonicalJSON` sorts the keys.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ReplicaKey.self)
        for (replica, counter) in entries {
            try container.encode(counter, forKey: ReplicaKey(stringValue: replica.rawValue))
        }
    }
}
