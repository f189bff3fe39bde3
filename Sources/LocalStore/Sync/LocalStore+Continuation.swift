import Foundation
import GRDB
import SyncProtocol

/// Continuing as a new replica after a restore (README §11.3 of the protocol): the store remembers, per record,
/// what the server is known to hold, and the replica id the server refused as rolled back; once the store has
/// enrolled again, the engine has its queued records re-made under the new id before it pushes.
extension LocalStore {
    /// Remembers the roll-back in the store, when `replica` is still this store's replica id; a refusal of an
    /// earlier replica id is ignored.
    public func replicaRolledBack(_ replica: ReplicaID) async throws {
        guard replica == replicaID else { return }
        try write { db in try setMetaValue(db, MetaKey.rolledBackReplica, replica.rawValue) }
    }

    /// The replica id the server refused as rolled back, while the store has not continued as a new replica.
    public func rolledBackReplica() throws -> ReplicaID? {
        try read { db in try metaValue(db, MetaKey.rolledBackReplica).flatMap { try? ReplicaID($0) } }
    }

    /// The records queued in the outbox, once the store has enrolled again under a new replica id after a roll-back.
    public func recordsToContinue() async throws -> Set<RecordKey> {
        guard let rolledBack = try rolledBackReplica(), rolledBack != replicaID else { return [] }
        return try read { db in
            Set(
                try Row.fetchAll(db, sql: "SELECT collection, id FROM outbox").map {
                    RecordKey(collection: $0["collection"], id: $0["id"])
                })
        }
    }

    /// Re-makes every queued record under the current replica id, against the server's state of it, in one
    /// transaction; afterwards the store no longer counts as rolled back.
    public func continueRecords(serverStates: [RecordKey: SyncProtocol.Record]) async throws {
        let current = replicaID
        let old = ownReplicaIDs.subtracting([current])
        try bulkWrite { db in
            guard let rolledBack = try metaValue(db, MetaKey.rolledBackReplica), rolledBack != current.rawValue else {
                return
            }
            let queued = try Row.fetchAll(db, sql: "SELECT collection, id FROM outbox ORDER BY seq")
            for row in queued {
                let key = RecordKey(collection: row["collection"], id: row["id"])
                guard let local = try loadRecord(db, collection: key.collection, id: key.id) else { continue }
                let server = serverStates[key]
                let continued = local.continuing(
                    as: current, insteadOf: old, server: server,
                    acknowledged: try syncedClock(db, collection: key.collection, id: key.id))
                if let server { try Self.storeSyncedClock(db, server.clock, collection: key.collection, id: key.id) }
                guard continued != local else { continue }
                try saveRecord(db, continued, local: true)
            }
            try setMetaValue(db, MetaKey.rolledBackReplica, nil)
        }
    }

    /// What the server is known to hold of a record: its clock, if the store ever learned it.
    func syncedClock(_ db: Database, collection: String, id: String) throws -> VersionVector? {
        guard
            let text = try String.fetchOne(
                db, sql: "SELECT clock FROM synced_clock WHERE collection = ? AND id = ?", arguments: [collection, id])
        else { return nil }
        return try? JSONDecoder().decode(VersionVector.self, from: Data(text.utf8))
    }

    /// Records that the server holds `clock` of a record (the latest state it sent or accepted).
    static func storeSyncedClock(_ db: Database, _ clock: VersionVector, collection: String, id: String) throws {
        let text = String(decoding: try JSONEncoder().encode(clock), as: UTF8.self)
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO synced_clock (collection, id, clock) VALUES (?, ?, ?)")
            .execute(arguments: [collection, id, text])
    }
}
