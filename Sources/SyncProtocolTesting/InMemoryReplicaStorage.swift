import SyncProtocol

/// A replica's store held in memory: records, outbox, pull cursor. For tests, simulations and examples.
///
/// Every method runs without suspension inside the actor, so each is atomic, as ``ReplicaStorage``
/// requires. Local writes go through ``create(collection:id:values:schema:)``, ``update(_:values:)``,
/// ``delete(_:)`` or ``save(_:)``, which put the record in the outbox.
///
/// ```swift
/// let laptop = InMemoryReplicaStorage(replica: try ReplicaID("laptop"))
/// let note = try await laptop.create(collection: "notes", id: "n1", values: [...], schema: Schemas.notes)
/// ```
public actor InMemoryReplicaStorage: ReplicaStorage {
    /// The operations whose next call can be made to fail, to test interrupted syncs.
    public enum Operation: Sendable, Hashable {
        /// The ``ReplicaStorage`` calls of the same names.
        case pendingChanges, acknowledge, pullCursor, apply
    }

    /// The error thrown by an injected failure.
    public struct InjectedFailure: Error, Hashable {
        /// The operation that failed.
        public var operation: Operation
    }

    /// This replica's id; local writes are stamped with it.
    public nonisolated let replica: ReplicaID
    private var store: [RecordKey: Record] = [:]
    private var outbox: [RecordKey: OutboxMarker] = [:]
    private var lastMarker: UInt64 = 0
    private var cursor: String?
    private var failures: [Operation: Int] = [:]
    /// The summary of the last completed sync.
    public private(set) var lastSync: SyncSummary?
    /// Records the team stopped reading while they held unpushed local changes: kept aside, never sent.
    public private(set) var setAside: Set<RecordKey> = []
    /// How many pages were applied, in total.
    public private(set) var pagesApplied = 0

    /// Creates an empty store for `replica`.
    public init(replica: ReplicaID) {
        self.replica = replica
    }

    // MARK: Local writes

    /// Creates a record written by this replica and puts it in the outbox.
    @discardableResult
    public func create(
        collection: String, id: String, values: [String: FieldValue], schema: Schema
    ) throws -> Record {
        let record = try Record.create(collection: collection, id: id, values: values, by: replica, schema: schema)
        return save(record)
    }

    /// Writes new values to an existing record and puts it in the outbox.
    @discardableResult
    public func update(_ key: RecordKey, values: [String: FieldValue]) throws -> Record {
        let current = try existing(key)
        return save(current.updating(values, by: replica))
    }

    /// Deletes a record (a tombstone that syncs) and puts it in the outbox.
    @discardableResult
    public func delete(_ key: RecordKey) throws -> Record {
        save(try existing(key).deleting(by: replica))
    }

    /// Resolves a field conflict by writing `value` and puts the record in the outbox.
    @discardableResult
    public func resolve(_ key: RecordKey, field: String, with value: FieldValue) throws -> Record {
        save(try existing(key).resolving(field: field, with: value, by: replica))
    }

    /// Stores a state made locally (merged with what is held, so nothing held is lost) and puts it in the
    /// outbox with a new marker.
    @discardableResult
    public func save(_ record: Record) -> Record {
        let merged = store[record.key].map { $0.merged(with: record) } ?? record
        store[record.key] = merged
        lastMarker += 1
        outbox[record.key] = OutboxMarker(rawValue: lastMarker)
        return merged
    }

    // MARK: Inspection

    /// The record with `key`, if held.
    public func record(_ key: RecordKey) -> Record? {
        store[key]
    }

    /// Every record held, in key order.
    public func records() -> [Record] {
        store.keys.sorted().map { store[$0]! }
    }

    /// The keys waiting in the outbox, in key order.
    public func outboxKeys() -> [RecordKey] {
        outbox.keys.sorted()
    }

    /// The keys of records in conflict, in key order.
    public func conflictedKeys() -> [RecordKey] {
        store.values.filter(\.isInConflict).map(\.key).sorted()
    }

    /// Makes the next `count` calls of `operation` throw ``InjectedFailure`` (before changing anything).
    public func failNext(_ operation: Operation, count: Int = 1) {
        failures[operation, default: 0] += count
    }

    // MARK: ReplicaStorage

    public func pendingChanges(after marker: OutboxMarker?, limit: Int) throws -> [OutboxEntry] {
        try injectedFailure(.pendingChanges)
        let floor = marker?.rawValue ?? 0
        return outbox.filter { $0.value.rawValue > floor }
            .sorted { $0.value < $1.value }
            .prefix(limit)
            .map { OutboxEntry(record: store[$0.key]!, marker: $0.value) }
    }

    public func acknowledge(_ acknowledgements: [PushAcknowledgement]) throws -> ApplyOutcome {
        try injectedFailure(.acknowledge)
        var outcome = ApplyOutcome()
        for acknowledgement in acknowledgements {
            if let server = acknowledgement.serverRecord {
                merge(server, into: &outcome)
            }
            if outbox[acknowledgement.key] == acknowledgement.marker {
                outbox[acknowledgement.key] = nil
            }
            if store[acknowledgement.key]?.isInConflict == true { outcome.conflicted.insert(acknowledgement.key) }
        }
        return outcome
    }

    public func pullCursor() throws -> String? {
        try injectedFailure(.pullCursor)
        return cursor
    }

    public func apply(page: PullPage) throws -> ApplyOutcome {
        try injectedFailure(.apply)
        var outcome = ApplyOutcome()
        for record in page.records {
            merge(record, into: &outcome)
        }
        for key in page.removed where store.removeValue(forKey: key) != nil {
            outcome.removed += 1
            if outbox.removeValue(forKey: key) != nil {
                setAside.insert(key)
                outcome.setAside += 1
            }
        }
        cursor = page.nextCursor
        pagesApplied += 1
        return outcome
    }

    public func teamAccessEnded() -> ApplyOutcome {
        var outcome = ApplyOutcome(removed: store.count)
        for key in outbox.keys where store[key] != nil {
            setAside.insert(key)
            outcome.setAside += 1
        }
        store = [:]
        outbox = [:]
        cursor = nil
        return outcome
    }

    public func pendingChangeCount() -> Int {
        outbox.count
    }

    public func syncCompleted(_ summary: SyncSummary) {
        lastSync = summary
    }

    // MARK: Helpers

    private func merge(_ remote: Record, into outcome: inout ApplyOutcome) {
        let key = remote.key
        let local = store[key]
        let result = local.map { $0.merged(with: remote) } ?? remote
        if result != local {
            outcome.changed += 1
            store[key] = result
        }
        if let local, local.compare(remote) == .concurrent { outcome.merged += 1 }
        if result.isInConflict { outcome.conflicted.insert(key) }
    }

    private func existing(_ key: RecordKey) throws -> Record {
        guard let record = store[key] else {
            throw ModelError.malformedRecord(record: key.id, reason: "no record \(key) in this store")
        }
        return record
    }

    private func injectedFailure(_ operation: Operation) throws {
        guard let remaining = failures[operation], remaining > 0 else { return }
        failures[operation] = remaining - 1
        throw InjectedFailure(operation: operation)
    }
}
