import Foundation
import LocalStore
import SyncProtocol
import Testing

/// Other devices of the team, as the store sees them: replica ids that write the states a pulled page brings.
enum OtherDevice {
    static let larsPhone = try! ReplicaID("lars-phone")
    static let idaTablet = try! ReplicaID("ida-tablet")
}

/// Driving a store through its `ReplicaStorage` side, as the sync engine does, without a server.
extension LocalStore {
    /// The queued (outbox) state of the record `id`: what the next push would send.
    func queuedRecord(id: String) async throws -> SyncProtocol.Record {
        let entries = try await pendingChanges(after: nil, limit: 10_000)
        return try #require(entries.first { $0.record.id == id }?.record, "record \(id.prefix(8)) is not queued")
    }

    /// Acknowledges every queued record as a server that accepted it as pushed; the outbox is then empty.
    func acknowledgeEverything() async throws {
        let entries = try await pendingChanges(after: nil, limit: 10_000)
        _ = try await acknowledge(entries.map(\.acceptedAsPushed))
        #expect(try outboxCount() == 0)
    }

    /// Applies `records` as one pulled page ending at `cursor`.
    @discardableResult
    func pull(_ records: [SyncProtocol.Record], cursor: String) async throws -> ApplyOutcome {
        try await apply(page: PullPage(records: records, nextCursor: cursor, more: false))
    }
}

extension OutboxEntry {
    /// The server's answer for this entry when it accepted the state as pushed.
    var acceptedAsPushed: PushAcknowledgement {
        PushAcknowledgement(
            key: RecordKey(collection: record.collection, id: record.id), marker: marker, serverRecord: nil,
            pushedClock: record.clock)
    }
}

/// One subject and one note about it, pushed and acknowledged: `base` is the note's state on every device, the
/// common history of the concurrent edits a test then makes.
struct SyncedNote {
    let dir: TemporaryDirectory
    let store: LocalStore
    let base: SyncProtocol.Record
    /// The subject's state on every device.
    let subjectBase: SyncProtocol.Record
    var id: String { base.id }

    init(adviser: String = "mette") async throws {
        dir = try TemporaryDirectory("synced-note")
        store = try makeStore(dir, adviser: adviser)
        let subject = try store.addSubject(NewSubject(reference: "ung-0142", displayName: "Sofie"))
        let note = try store.addNote(
            NewNote(
                subjectReference: "ung-0142", kind: .walk, place: "harbour", body: "Walked to the school\n"))
        base = try await store.queuedRecord(id: note.id)
        subjectBase = try await store.queuedRecord(id: subject.id)
        try await store.acknowledgeEverything()
    }

    func close() { store.close() }
}
