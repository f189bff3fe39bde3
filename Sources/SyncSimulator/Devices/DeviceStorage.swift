import Foundation
import LocalStore
import SyncProtocol
import SyncProtocolTesting

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
    /// A deliberately broken device (for testing the oracle): it ignores the removals of pulled pages.
    private(set) var ignoresRemovals = false
    /// Records that left the device while they held local changes not yet pushed (kept aside, never sent), with
    /// their local state then (joined when a record left more than once).
    private(set) var setAside: [RecordKey: Record] = [:]
    /// Records dropped because the team stopped reading them (removals and refused changes).
    private(set) var removedCount = 0
    /// Every record that ever left the device so (it may have come back since).
    private(set) var everRemoved = Set<RecordKey>()

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

    /// Performs a person's action with this device's replica id, at `date` (the virtual calendar).
    func perform(_ action: LocalAction, at date: Date) async throws -> LocalWrite {
        switch backend {
        case .memory(let store):
            let before = await store.record(action.key)
            if action.isScopeAction {
                var write = LocalWrite(before: before, after: nil)
                for next in await scopeWrites(action, date: date) {
                    let previous = await store.record(next.key)
                    let after = await store.save(next)
                    learn(after.key)
                    if after.key == action.key && write.after == nil {
                        write.after = after
                    } else {
                        write.others.append((previous, after))
                    }
                }
                return write
            }
            guard let next = try Self.apply(action, to: before, by: replica), next != before else {
                return LocalWrite(before: before, after: nil)
            }
            let after = await store.save(next)
            learn(after.key)
            return LocalWrite(before: before, after: after)
        case .local(let store, _, _, _):
            if action.isScopeAction {
                try await applyScope(action, to: store, date: date)
            } else {
                try Self.apply(action, to: store)
            }
            let fresh = try await store.pendingChanges(after: lastMarker, limit: 10_000)
            var write = LocalWrite(before: mirror[action.key], after: nil)
            for entry in fresh {
                lastMarker = max(lastMarker ?? entry.marker, entry.marker)
                let previous = mirror[entry.record.key]
                mirror[entry.record.key] = entry.record
                learn(entry.record.key)
                if entry.record.key == action.key || (write.after == nil && action.createsRecord) {
                    write.before = previous
                    write.after = entry.record
                } else {
                    write.others.append((previous, entry.record))
                }
            }
            return write
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
        var page = page
        if ignoresRemovals { page.removed = [] }
        // What leaves: the removed records and, as LocalStore does, the notes held here about a removed subject after
        // the page's records are merged (a team that stops reading a subject reads none of its notes; a note written
        // here and not pushed yet is unknown to the server, which cannot name it).
        let queued = page.removed.isEmpty ? [] : try await queuedKeys()
        var kept = await states(of: page.removed.filter(queued.contains))
        var outcome: ApplyOutcome
        var leaving: [RecordKey] = page.removed
        switch backend {
        case .memory(let store):
            outcome = try await store.apply(page: page)
            let notes = await notesAbout(removedSubjects: page.removed)
            if !notes.isEmpty {
                kept.merge(await states(of: notes.filter(queued.contains)), uniquingKeysWith: { first, _ in first })
                let extra = try await store.apply(
                    page: PullPage(records: [], nextCursor: page.nextCursor, more: page.more, removed: notes))
                outcome.removed += extra.removed
                outcome.setAside += extra.setAside
                leaving += notes
            }
            possiblyConflicted.formUnion(outcome.conflicted)
            for record in page.records { observe(record) }
        case .local(let store, _, _, _):
            outcome = try await store.apply(page: page)
            possiblyConflicted.formUnion(outcome.conflicted)
            for record in page.records { observe(record) }
            // LocalStore takes the live notes about the subject and those with unpushed changes.
            var notes: [RecordKey] = []
            for note in await notesAbout(removedSubjects: page.removed) {
                if queued.contains(note) || mirror[note]?.isDeleted == false { notes.append(note) }
            }
            kept.merge(await states(of: notes.filter(queued.contains)), uniquingKeysWith: { first, _ in first })
            leaving += notes
        }
        forget(leaving, keptAside: kept)
        return outcome
    }

    /// Keeps aside a queued change the server refused because the team no longer reads the record
    /// (`403 forbidden_record`: its access ended after the change was made here), as `fieldcli sync` does: the
    /// record leaves the device as a removal would, so the rest can sync and the pull naming the removal can come.
    /// Returns whether anything was kept aside.
    func setAsideRefusedChange(_ key: RecordKey, at date: Date) async throws -> Bool {
        let leaving = await leavingKeys([key])
        let kept = try await unsyncedStates(of: leaving)
        guard kept[key] != nil, await record(key)?.isPurged == false else { return false }
        switch backend {
        case .memory(let store):
            guard let cursor = try await store.pullCursor() else { return false }
            _ = try await store.apply(page: PullPage(records: [], nextCursor: cursor, more: false, removed: leaving))
        case .local(let store, _, _, _):
            guard try store.setAsideRefusedChange(key, at: date) != nil else { return false }
        }
        forget(leaving, keptAside: kept)
        return true
    }

    /// Whether the record has a local change not pushed yet.
    func hasUnsyncedChange(_ key: RecordKey) async -> Bool {
        let queued = (try? await pendingChanges(after: nil, limit: 1_000_000)) ?? []
        return queued.contains { $0.record.key == key }
    }

    /// Switches the broken-device fault on or off.
    func setIgnoresRemovals(_ value: Bool) {
        ignoresRemovals = value
    }

    /// Keys that leave with `keys`: each, and for a subject the notes held here about it.
    private func leavingKeys(_ keys: [RecordKey]) async -> [RecordKey] {
        let notes = await notesAbout(removedSubjects: keys)
        return notes + keys.filter { !notes.contains($0) }
    }

    /// The notes held here about the subjects among `keys` (other than those listed in `keys`).
    private func notesAbout(removedSubjects keys: [RecordKey]) async -> [RecordKey] {
        let subjectIDs = Set(keys.filter { $0.collection == Schemas.subjects.collection }.map(\.id))
        guard !subjectIDs.isEmpty else { return [] }
        let listed = Set(keys)
        var result: [RecordKey] = []
        for note in notes where !listed.contains(note) {
            if let subject = await record(note)?.subjectID, subjectIDs.contains(subject) { result.append(note) }
        }
        return result
    }

    /// The keys with a local change not pushed yet.
    private func queuedKeys() async throws -> Set<RecordKey> {
        Set(try await pendingChanges(after: nil, limit: 1_000_000).map(\.record.key))
    }

    /// The local states of `keys` that are held.
    private func states(of keys: [RecordKey]) async -> [RecordKey: Record] {
        var result: [RecordKey: Record] = [:]
        for key in keys {
            if let state = await record(key) { result[key] = state }
        }
        return result
    }

    /// The local states of those of `keys` that hold changes not yet pushed.
    private func unsyncedStates(of keys: [RecordKey]) async throws -> [RecordKey: Record] {
        guard !keys.isEmpty else { return [:] }
        let queued = try await queuedKeys()
        return await states(of: keys.filter(queued.contains))
    }

    /// Drops what left the device from the lists and the mirror, and remembers what was kept aside.
    private func forget(_ keys: [RecordKey], keptAside: [RecordKey: Record]) {
        var gone = Set<RecordKey>()
        for key in keys where seen.contains(key) {
            gone.insert(key)
            seen.remove(key)
            mirror[key] = nil
            possiblyConflicted.remove(key)
        }
        guard !gone.isEmpty else { return }
        removedCount += gone.count
        everRemoved.formUnion(gone)
        notes.removeAll { gone.contains($0) }
        subjects.removeAll { gone.contains($0) }
        for (key, state) in keptAside { setAside[key] = setAside[key].map { $0.merged(with: state) } ?? state }
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

    func replicaRolledBack(_ replica: ReplicaID) async throws {
        switch backend {
        case .memory(let store): try await store.replicaRolledBack(replica)
        case .local(let store, _, _, _): try await store.replicaRolledBack(replica)
        }
    }

    func recordsToContinue() async throws -> Set<RecordKey> {
        switch backend {
        case .memory(let store): try await store.recordsToContinue()
        case .local(let store, _, _, _): try await store.recordsToContinue()
        }
    }

    /// The re-made records change the device's states: the mirror follows them.
    func continueRecords(serverStates: [RecordKey: Record]) async throws {
        switch backend {
        case .memory(let store): try await store.continueRecords(serverStates: serverStates)
        case .local(let store, _, _, _):
            let keys = try await store.recordsToContinue()
            try await store.continueRecords(serverStates: serverStates)
            for entry in try await store.pendingChanges(after: nil, limit: Int.max)
            where keys.contains(entry.record.key) {
                mirror[entry.record.key] = entry.record
            }
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
