/// One event: the `counter`-th write a replica made to one record.
///
/// Every write to a record gets a fresh dot `(replica, clock[replica] + 1)`, so a dot names a
/// write uniquely within its record. A write with dot `d` is known to a replica whose record
/// clock `c` has `c[d.replica] >= d.counter` (see ``VersionVector/contains(_:)``).
///
/// On the wire a dot is the string `"replica:counter"`, e.g. `"k3v9q2m7x1ab:7"`.
/// Dots sort by replica (byte order), then counter; this order only serves to make
/// encodings and merge folds deterministic, it says nothing about causality.
public struct Dot: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The replica that made the write.
    public var replica: ReplicaID
    /// The write's position in that replica's history of this record (1 for its first write).
    public var counter: UInt64

    /// Creates a dot.
    public init(replica: ReplicaID, counter: UInt64) {
        self.replica = replica
        self.counter = counter
    }

    /// Parses the canonical text form `"replica:counter"`.
    /// - Throws: ``ModelError/invalidDot(_:)`` when malformed, or when the counter is 0 or above
    ///   ``ProtocolLimits/maxCounter``.
    public init(parsing text: String) throws(ModelError) {
        guard let colon = text.utf8.lastIndex(of: UInt8(ascii: ":")) else { throw .invalidDot(text) }
        let replicaText = String(text[..<colon])
        let counterText = text[text.index(after: colon)...]
        guard ReplicaID.isValid(replicaText),
            !counterText.isEmpty, counterText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            counterText.utf8.first != UInt8(ascii: "0"),
            let counter = UInt64(counterText), counter <= ProtocolLimits.maxCounter
        else { throw .invalidDot(text) }
        self.init(replica: ReplicaID(unchecked: replicaText), counter: counter)
    }

    /// The canonical text form `"replica:counter"`.
    public var description: String { "\(replica.rawValue):\(counter)" }

    /// Orders by replica id (byte order), then counter.
    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        lhs.replica != rhs.replica ? lhs.replica < rhs.replica : lhs.counter < rhs.counter
    }
}

extension Dot: Codable {
    /// Decodes the canonical text form `"replica:counter"`; any other spelling is refused.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "invalid dot", underlyingError: error)
            )
        }
    }

    /// Encodes the canonical text form `"replica:counter"`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
