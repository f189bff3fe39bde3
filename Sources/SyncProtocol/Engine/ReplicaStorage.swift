/// What the sync engine needs from a replica's local store (one team's records on one device).
///
/// The store keeps an **outbox**: one entry per record changed locally since the server last
/// acknowledged it, stamped with an ``OutboxMarker`` that grows with every local write. It also keeps
/// the **pull cursor**. Implementations must make ``apply(page:)`` and
/// ``acknowledge(_:)`` atomic (one local transaction each); the engine's resumability rests on it.
///
/// Every method may be called again after an interruption with the same arguments; implementations
/// get idempotency for free from ``Record/merged(with:)``.
public protocol ReplicaStorage: Sendable {
    /// Outbox entries with a marker greater than `marker` (all of them when `nil`), lowest marker first,
    /// at most `limit`. Each entry holds the record's current full local state.
    func pendingChanges(after marker: OutboxMarker?, limit: Int) async throws -> [OutboxEntry]

    /// Settles pushed records, in one transaction: merges each server version (when the server sent
    /// one) into the local record, and removes an outbox entry only when its marker still equals the
    /// acknowledged marker, i.e. the record did not change locally after it was read for the push.
    func acknowledge(_ acknowledgements: [PushAcknowledgement]) async throws -> ApplyOutcome

    /// The cursor stored with the last applied page, or `nil` before the first pull.
    func pullCursor() async throws -> String?

    /// Merges every record of `page` into the local state, drops every record of ``PullPage/removed`` with all
    /// its local state (setting aside unpushed local changes of it, never sending them), and stores
    /// `page.nextCursor`, in one transaction: either all of it happens or none.
    func apply(page: PullPage) async throws -> ApplyOutcome

    /// How many outbox entries are waiting, for status displays.
    func pendingChangeCount() async throws -> Int

    /// The adviser is no longer a member of the store's team (`hello` no longer lists it, README §14.4): drop
    /// every record with all its local state, keep unsynced local changes aside (never sent), clear the pull
    /// cursor, in one transaction.
    func teamAccessEnded() async throws -> ApplyOutcome

    /// Called once after a sync pushed and pulled everything, so the store can remember when the last
    /// successful sync happened. The default does nothing.
    func syncCompleted(_ summary: SyncSummary) async throws

    /// The server refused a push under `replica` with `409 replica_rolled_back` (README §11.3): the store lost
    /// operations it had synced (restored from a backup, or copied). The store remembers it, so that once it
    /// writes under a new replica id (after enrolling again) it continues as that replica; see
    /// ``recordsToContinue()``. The default does nothing.
    func replicaRolledBack(_ replica: ReplicaID) async throws

    /// The records whose own operations must be re-made under the store's current replica id before anything
    /// is pushed, because the store was rolled back under an earlier one (``replicaRolledBack(_:)``) and has
    /// enrolled again since; empty otherwise (the default). The engine then reads the server's states of these
    /// records and hands them to ``continueRecords(serverStates:)``.
    func recordsToContinue() async throws -> Set<RecordKey>

    /// Re-makes the records of ``recordsToContinue()`` with ``Record/continuing(as:insteadOf:server:acknowledged:)``
    /// against `serverStates` (a record the server does not hold is missing), keeps them queued for push, and
    /// forgets the roll-back, in one transaction. The default does nothing.
    func continueRecords(serverStates: [RecordKey: Record]) async throws
}

extension ReplicaStorage {
    public func syncCompleted(_ summary: SyncSummary) async throws {}

    public func replicaRolledBack(_ replica: ReplicaID) async throws {}

    public func recordsToContinue() async throws -> Set<RecordKey> { [] }

    public func continueRecords(serverStates: [RecordKey: Record]) async throws {}

    /// Refuses: a store that cannot drop its records must not pretend it did.
    public func teamAccessEnded() async throws -> ApplyOutcome {
        throw SyncError(phase: .negotiating, reason: .invalidResponse("this store cannot drop a team's records"))
    }
}

/// The position of a local write in a replica's outbox; grows with every local write.
public struct OutboxMarker: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The marker's value.
    public var rawValue: UInt64

    /// Wraps a marker value.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// The value, as `#42`.
    public var description: String { "#\(rawValue)" }

    /// Orders by value: the earlier write first.
    public static func < (lhs: OutboxMarker, rhs: OutboxMarker) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// One record waiting to be pushed.
public struct OutboxEntry: Hashable, Sendable {
    /// The record's full current local state.
    public var record: Record
    /// The marker of the record's latest local write.
    public var marker: OutboxMarker

    /// Creates an entry.
    public init(record: Record, marker: OutboxMarker) {
        self.record = record
        self.marker = marker
    }
}

/// The server's answer about one pushed record, as the engine hands it to the store.
public struct PushAcknowledgement: Hashable, Sendable {
    /// The record pushed.
    public var key: RecordKey
    /// The outbox marker the pushed state was read with.
    public var marker: OutboxMarker
    /// The server's merged state when it differs from what was pushed; `nil` when the server accepted
    /// the pushed state as is.
    public var serverRecord: Record?
    /// The clock of the state pushed: the server holds everything it covers (with ``serverRecord``'s clock, if
    /// any). A store keeps it to know, after a restore, which of its own operations the server had.
    public var pushedClock: VersionVector?

    /// Creates an acknowledgement.
    public init(key: RecordKey, marker: OutboxMarker, serverRecord: Record?, pushedClock: VersionVector? = nil) {
        self.key = key
        self.marker = marker
        self.serverRecord = serverRecord
        self.pushedClock = pushedClock
    }
}

/// What applying remote states did to the local store.
public struct ApplyOutcome: Hashable, Sendable {
    /// Records whose local state changed.
    public var changed: Int
    /// Records for which a concurrent local state existed and both were combined by merge.
    public var merged: Int
    /// Records that are in conflict after the merge (a person must decide).
    public var conflicted: Set<RecordKey>
    /// Records dropped because the team stopped reading them (``PullPage/removed``).
    public var removed: Int
    /// Of the removed records, those that held local changes not yet pushed: kept aside in the store, never
    /// sent, for a person to see (never silently lost).
    public var setAside: Int

    /// Creates an outcome.
    public init(
        changed: Int = 0, merged: Int = 0, conflicted: Set<RecordKey> = [], removed: Int = 0, setAside: Int = 0
    ) {
        self.changed = changed
        self.merged = merged
        self.conflicted = conflicted
        self.removed = removed
        self.setAside = setAside
    }
}
