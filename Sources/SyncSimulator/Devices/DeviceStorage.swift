import Foundation
import LocalStore
import SyncProtocol

/// One simulated device's store: the kit's ``InMemoryReplicaStorage`` or a real encrypted
/// ``LocalStore``, behind the engine's ``ReplicaStorage`` protocol.
///
/// It forwards every storage call unchanged and watches what passes: which records the device
/// holds, in the order it learned them (the workload picks from that list, so choices do not depend
/// on random record ids), and for a `LocalStore`, a mirror of each record's causal state (the store
/// does not expose raw records; the mirror is checked against its queries at the end).
actor DeviceStorage: ReplicaStorage {
    enum Backend {
        case memory(InMemoryReplicaStorage)
        case local(LocalStore, directory: URL, passphrase: Passphrase, options: LocalStore.Options)
    }

    private var backend: Backend
    /// This device's replica id.
    nonisolated let replica: ReplicaID
    /// Notes and subjects held, in first-seen order.
    private(set) var notes: [RecordKey] = []
    private(set) var subjects: [RecordKey] = []
    private var seen = Set<RecordKey>()
    /// The LocalStore mirror (unused for memory).
    private var mirror: [RecordKey: Record] = [:]
    private var lastMarker: OutboxMarker?
    /// Records a merge reported in conflict (some may have been settled since).
    private var possiblyConflicted = Set<RecordKey>()

    init(memory replica: ReplicaID) {
        backend = .memory(InMemoryReplicaStorage(replica: replica))
        self.replica = replica
    }

    init(local store: LocalStore, directory: URL, passphrase: Passphrase, options: LocalStore.Options) {
        backend = .local(store, directory: directory, passphrase: passphrase, options: options)
        replica = store.replicaID
    }

    /// Whether this device runs a real LocalStore.
    var isLocalStore: Bool {
        if case .local = backend { true } else { false }
    }

    // MARK: Reading

    /// The causal state of one record, if held.
    func record(_ key: RecordKey) async -> Record? {
        switch backend {
        case .memory(let store): await store.record(key)
        case .local: mirror[key]
        }
    }

    /// Every record held, in key order.
    func records() async -> [Record] {
        switch backend {
        case .memory(let store): await store.records()
        case .local: mirror.keys.sorted().map { mirror[$0]! }
        }
    }

    /// Records in conflict, in key order, found cheaply for the workload: only records a merge reported
    /// as conflicted are looked at.
    func conflictCandidates() async throws -> [RecordKey] {
        guard case .memory(let store) = backend else { return try await conflictedKeys() }
        var result: [RecordKey] = []
        for key in possiblyConflicted.sorted() {
            if await store.record(key)?.isInConflict == true {
                result.append(key)
            } else {
                possiblyConflicted.remove(key)
            }
        }
        return result
    }

    /// The records a person would see as conflicts, in key order, as the store itself lists them.
    func conflictedKeys() async throws -> [RecordKey] {
        switch backend {
        case .memory(let store):
            return await store.conflictedKeys()
        case .local(let store, _, _, _):
            return try store.conflicts().map { RecordKey(collection: $0.collection, id: $0.id) }.sorted()
        }
    }

    // MARK: Local writes

    /// Performs a person's action with this device's replica id.
    func perform(_ action: LocalAction) async throws -> LocalWrite {
        switch backend {
        case .memory(let store):
            let before = await store.record(action.key)
            guard let next = try Self.apply(action, to: before, by: replica), next != before else {
                return LocalWrite(before: before, after: nil)
            }
            let after = await store.save(next)
            learn(after.key)
            return LocalWrite(before: before, after: after)
        case .local(let store, _, _, _):
            try Self.apply(action, to: store)
            let fresh = try await store.pendingChanges(after: lastMarker, limit: 16)
            var before: Record?
            var after: Record?
            for entry in fresh {
                lastMarker = max(lastMarker ?? entry.marker, entry.marker)
                before = mirror[entry.record.key]
                mirror[entry.record.key] = entry.record
                learn(entry.record.key)
                after = entry.record
            }
            return LocalWrite(before: after == nil ? mirror[action.key] : before, after: after)
        }
    }

    /// Closes and reopens a LocalStore, as after the app was killed; in-memory stores have nothing to do
    /// (their state is their "disk").
    func reopen() throws {
        guard case .local(let store, let directory, let passphrase, let options) = backend else { return }
        store.close()
        let reopened = try LocalStore.open(at: directory, passphrase: passphrase, options: options)
        backend = .local(reopened, directory: directory, passphrase: passphrase, options: options)
    }

    /// Closes a LocalStore for good.
    func close() {
        if case .local(let store, _, _, _) = backend { store.close() }
    }

    /// The LocalStore, for the oracle's checks of its queries.
    var localStore: LocalStore? {
        if case .local(let store, _, _, _) = backend { store } else { nil }
    }

    // MARK: ReplicaStorage

    func pendingChanges(after marker: OutboxMarker?, limit: Int) async throws -> [OutboxEntry] {
        switch backend {
        case .memory(let store): try await store.pendingChanges(after: marker, limit: limit)
        case .local(let store, _, _, _): try await store.pendingChanges(after: marker, limit: limit)
        }
    }

    func acknowledge(_ acknowledgements: [PushAcknowledgement]) async throws -> ApplyOutcome {
        let outcome: ApplyOutcome
        switch backend {
        case .memory(let store): outcome = try await store.acknowledge(acknowledgements)
        case .local(let store, _, _, _): outcome = try await store.acknowledge(acknowledgements)
        }
        possiblyConflicted.formUnion(outcome.conflicted)
        for acknowledgement in acknowledgements {
            if let server = acknowledgement.serverRecord { observe(server) }
        }
        return outcome
    }

    func pullCursor() async throws -> String? {
        switch backend {
        case .memory(let store): try await store.pullCursor()
        case .local(let store, _, _, _): try await store.pullCursor()
        }
    }

    func apply(page: PullPage) async throws -> ApplyOutcome {
        let outcome: ApplyOutcome
        switch backend {
        case .memory(let store): outcome = try await store.apply(page: page)
        case .local(let store, _, _, _): outcome = try await store.apply(page: page)
        }
        possiblyConflicted.formUnion(outcome.conflicted)
        for record in page.records { observe(record) }
        return outcome
    }

    func pendingChangeCount() async throws -> Int {
        switch backend {
        case .memory(let store): try await store.pendingChangeCount()
        case .local(let store, _, _, _): try await store.pendingChangeCount()
        }
    }

    func syncCompleted(_ summary: SyncSummary) async throws {
        switch backend {
        case .memory(let store): try await store.syncCompleted(summary)
        case .local(let store, _, _, _): try await store.syncCompleted(summary)
        }
    }

    // MARK: Helpers

    /// Notes a remote state that was merged in (after the store committed it).
    private func observe(_ remote: Record) {
        learn(remote.key)
        if case .local = backend {
            mirror[remote.key] = mirror[remote.key].map { $0.merged(with: remote) } ?? remote
        }
    }

    private func learn(_ key: RecordKey) {
        guard seen.insert(key).inserted else { return }
        if key.collection == Schemas.notes.collection { notes.append(key) } else { subjects.append(key) }
    }
}
