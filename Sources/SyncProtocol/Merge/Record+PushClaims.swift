/// A pushed record whose clock claims writes of another replica that the receiving server has not received.
///
/// Counters belong to one record: `clock[r] == n` says "has seen the first `n` operations of replica `r` on
/// this record" (merge.md, "Identifiers and clocks"). A device learns another replica's operations on a
/// record only from the server (devices never talk to each other), and the server's state of a record only
/// grows, so every entry of another replica in an honest push is at most the server's entry for that replica
/// in that record. An entry above it would let the pusher claim to have seen (and so silently overwrite)
/// writes the other replica has not even made yet. See protocol README §11.3.
public struct UnreceivedWritesClaim: Error, Sendable, Hashable, CustomStringConvertible {
    /// The record concerned.
    public var key: RecordKey
    /// The other replica whose entry is ahead of what the server holds.
    public var replica: ReplicaID
    /// The entry the pushed clock has for ``replica``.
    public var claimed: UInt64
    /// The entry the server's state of the record has for ``replica`` (0 when it has none, or no state).
    public var received: UInt64

    /// Creates a refused claim.
    public init(key: RecordKey, replica: ReplicaID, claimed: UInt64, received: UInt64) {
        self.key = key
        self.replica = replica
        self.claimed = claimed
        self.received = received
    }

    /// For logs of the server that refused it: names the record and the replica, not the counters.
    public var description: String {
        "record \(key) claims writes of replica \(replica) that the server has not received"
    }

    /// The protocol's answer to a push refused by this rule: `400 clock_ahead`, naming the record (by
    /// collection and id), its `index` in the batch and the path of its clock, but no counter or content.
    public func errorBody(index: Int) -> ErrorBody {
        ErrorBody(
            code: .clockAhead,
            message: "records[\(index)].v (record \(key)) claims writes of another replica that this server "
                + "has not received; a push may only advance its own replica's entries. Nothing in the batch "
                + "was written",
            details: ErrorDetails(collection: key.collection, id: key.id, path: "records[\(index)].v", index: index))
    }
}

extension VersionVector {
    /// The first replica, in byte order, other than `pusher` whose entry in `self` is above its entry in
    /// `received`; `nil` when `self` advances no other replica beyond `received`.
    public func firstEntryAhead(of received: VersionVector, except pusher: ReplicaID) -> ReplicaID? {
        var first: ReplicaID?
        for (replica, counter) in entries where replica != pusher && counter > received[replica] {
            if first.map({ replica < $0 }) ?? true { first = replica }
        }
        return first
    }
}

extension Record {
    /// The push rule of the protocol (README §11.3): a record pushed by `pusher` may advance only `pusher`'s
    /// entries of the clock beyond `stored`, the receiving server's state of the record (`nil` when the
    /// server holds none: then the record may carry no other replica's entry at all).
    ///
    /// Only the clock is checked: a decoded record is causally closed (every dot of a write, tag add,
    /// presence entry or purge is contained in its clock, see ``validateStructure()``), so no dot can name an
    /// operation beyond its clock. Entries of `pusher` may grow without bound (up to the protocol's counter
    /// limit): they are the pusher's own operations.
    ///
    /// - Throws: ``UnreceivedWritesClaim`` naming the first replica (byte order) whose entry is ahead.
    public func checkPushClaims(by pusher: ReplicaID, stored: Record?) throws(UnreceivedWritesClaim) {
        let received = stored?.clock ?? VersionVector()
        guard let replica = clock.firstEntryAhead(of: received, except: pusher) else { return }
        throw UnreceivedWritesClaim(key: key, replica: replica, claimed: clock[replica], received: received[replica])
    }
}
