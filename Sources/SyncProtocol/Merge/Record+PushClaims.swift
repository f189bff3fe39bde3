/// A pushed record whose clock the receiving server cannot accept from the pushing replica (README §11.3).
///
/// Counters belong to one record: `clock[r] == n` says "has seen the first `n` operations of replica `r` on
/// this record" (merge.md, "Identifiers and clocks"). Two facts bound what an honest push can hold, compared
/// with the server's state of the same record:
///
/// - **Other replicas' entries are at most the server's.** A device learns another replica's operations on a
///   record only from the server (devices never talk to each other), and the server's state of a record only
///   grows. An entry above it would let the pusher claim to have seen (and so silently overwrite) writes the
///   other replica has not even made yet: ``Kind/unreceivedWrites``, `400 clock_ahead`.
/// - **The pusher's own entry is at least the server's.** The server learned the pusher's operations on the
///   record from the pusher (or from relays of its own earlier states), and a replica's state only grows. An
///   entry below it means the device's store lost operations it had synced (restored from a backup, or a
///   copy of a store): its next writes would reuse dots the team already holds for other writes, which the
///   merge would treat as the same writes. ``Kind/rolledBack``, `409 replica_rolled_back`.
public struct PushClaimError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which bound the record broke.
    public enum Kind: Sendable, Hashable {
        /// Another replica's entry is above the server's (`400 clock_ahead`).
        case unreceivedWrites
        /// The pusher's own entry is below the server's (`409 replica_rolled_back`).
        case rolledBack
    }

    /// Which bound the record broke.
    public var kind: Kind
    /// The record concerned.
    public var key: RecordKey
    /// The replica whose entry is out of bounds: another replica, or the pusher itself for ``Kind/rolledBack``.
    public var replica: ReplicaID
    /// The entry the pushed clock has for ``replica``.
    public var claimed: UInt64
    /// The entry the server's state of the record has for ``replica`` (0 when it has none, or no state).
    public var received: UInt64

    /// Creates a refused claim.
    public init(kind: Kind, key: RecordKey, replica: ReplicaID, claimed: UInt64, received: UInt64) {
        self.kind = kind
        self.key = key
        self.replica = replica
        self.claimed = claimed
        self.received = received
    }

    /// For logs of the server that refused it: names the record and the replica, not the counters.
    public var description: String {
        switch kind {
        case .unreceivedWrites: "record \(key) claims writes of replica \(replica) that the server has not received"
        case .rolledBack: "record \(key) lacks writes of its own replica \(replica) that the server has received"
        }
    }

    /// The protocol's answer to a push refused by this rule: `400 clock_ahead` or `409 replica_rolled_back`,
    /// naming the record (by collection and id), its `index` in the batch and the path of its clock, but no
    /// replica, counter or content.
    public func errorBody(index: Int) -> ErrorBody {
        let path = "records[\(index)].v"
        let details = ErrorDetails(collection: key.collection, id: key.id, path: path, index: index)
        switch kind {
        case .unreceivedWrites:
            return ErrorBody(
                code: .clockAhead,
                message: "\(path) (record \(key)) claims writes of another replica that this server has not "
                    + "received; a push may only advance its own replica's entries. Nothing in the batch was written",
                details: details)
        case .rolledBack:
            return ErrorBody(
                code: .replicaRolledBack,
                message: "\(path) (record \(key)) lacks writes of the batch's own replica that this server has "
                    + "received: the device's store is older than what it synced (restored or copied), and its "
                    + "next writes would reuse their dots. Nothing in the batch was written; the device must "
                    + "continue as a new replica",
                details: details)
        }
    }
}

extension VersionVector {
    /// The first replica, in byte order, not among `own` whose entry in `self` is above its entry in
    /// `received`; `nil` when `self` advances no other replica beyond `received`.
    public func firstEntryAhead(of received: VersionVector, except own: Set<ReplicaID>) -> ReplicaID? {
        var first: ReplicaID?
        for (replica, counter) in entries where !own.contains(replica) && counter > received[replica] {
            if first.map({ replica < $0 }) ?? true { first = replica }
        }
        return first
    }

    /// The first replica, in byte order, other than `pusher` whose entry in `self` is above its entry in
    /// `received`.
    public func firstEntryAhead(of received: VersionVector, except pusher: ReplicaID) -> ReplicaID? {
        firstEntryAhead(of: received, except: [pusher])
    }
}

extension Record {
    /// The push rule of the protocol (README §11.3) for this record, pushed by `pusher`, against `stored`, the
    /// receiving server's state of the record (`nil` when the server holds none): every entry of another
    /// replica is at most its entry in `stored` (without a stored state the record may carry no other
    /// replica's entry at all), and `pusher`'s own entry is at least its entry in `stored`. Within those
    /// bounds `pusher`'s entry may grow without limit (up to the protocol's counter bound): it counts the
    /// pusher's own operations.
    ///
    /// Only the clock is checked: a decoded record is causally closed (every dot of a write, tag add,
    /// presence entry or purge is contained in its clock, see ``validateStructure()``), so no dot can name an
    /// operation beyond its clock.
    ///
    /// The clock alone cannot tell a store that was put back and has since counted up past the server's entry:
    /// its dots then name other operations than the server's, which `reusesDots(of:against:)` finds in the
    /// writes both states still hold.
    ///
    /// A re-enrolled device's **earlier replica ids** (README §4.1) are its own as well: the store that pushes
    /// holds their operations because it made them, so their entries may grow beyond the server's like
    /// `pusher`'s, and are bounded from below like it.
    ///
    /// - Throws: ``PushClaimError``: ``PushClaimError/Kind/unreceivedWrites`` naming the first replica (byte
    ///   order) whose entry is ahead, checked first; else ``PushClaimError/Kind/rolledBack`` naming the first
    ///   own replica (the pusher first, then the earlier ones in byte order) that lost operations.
    public func checkPushClaims(
        by pusher: ReplicaID, earlier: Set<ReplicaID> = [], stored: Record?
    ) throws(PushClaimError) {
        let received = stored?.clock ?? VersionVector()
        if let replica = clock.firstEntryAhead(of: received, except: earlier.union([pusher])) {
            throw PushClaimError(
                kind: .unreceivedWrites, key: key, replica: replica, claimed: clock[replica],
                received: received[replica])
        }
        for own in [pusher] + earlier.subtracting([pusher]).sorted() {
            if clock[own] < received[own] || (stored.map { reusesDots(of: own, against: $0) } ?? false) {
                throw PushClaimError(
                    kind: .rolledBack, key: key, replica: own, claimed: clock[own], received: received[own])
            }
        }
    }

    /// Whether `replica` used one of its dots for a different operation here than in `other`: the same dot
    /// writing another value into the same field, or marking the record live in one and deleted in the other.
    /// A dot names one operation, so this happens only when a store lost operations it had synced and then
    /// counted up again past them (restored from a backup or copied, and edited the same record since): its
    /// own entry is no longer below the server's, yet its new writes would merge as if they were the old ones.
    func reusesDots(of replica: ReplicaID, against other: Record) -> Bool {
        for (field, writes) in registers {
            guard let theirs = other.registers[field] else { continue }
            for write in writes where write.dot.replica == replica {
                if let same = theirs.first(where: { $0.dot == write.dot }), same.value != write.value { return true }
            }
        }
        for (dot, live) in presence where dot.replica == replica {
            if let theirs = other.presence[dot], theirs != live { return true }
        }
        return false
    }
}
