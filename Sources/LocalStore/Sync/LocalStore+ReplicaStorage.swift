import Foundation
import GRDB
import SyncProtocol

/// The local store is the sync engine's replica storage: its outbox feeds pushes, and pulled pages are merged
/// into it together with their cursor in one transaction, so an interrupted sync resumes where it stopped.
extension LocalStore: ReplicaStorage {
    /// The outbox rows after `marker`, each with the record's full local state; a row whose record is gone is skipped.
    public func pendingChanges(after marker: OutboxMarker?, limit: Int) async throws -> [OutboxEntry] {
        try read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT seq, collection, id FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                arguments: [Int64(marker?.rawValue ?? 0), max(0, limit)])
            return try rows.compactMap { row in
                let seq: Int64 = row["seq"]
                guard let record = try loadRecord(db, collection: row["collection"], id: row["id"]) else {
                    return nil
                }
                return OutboxEntry(record: record, marker: OutboxMarker(rawValue: UInt64(seq)))
            }
        }
    }

    /// Merges each server version into the record and removes an outbox row only if the record did not change
    /// again after it was read for the push, in one transaction.
    public func acknowledge(_ acknowledgements: [PushAcknowledgement]) async throws -> ApplyOutcome {
        try bulkWrite { db in
            var outcome = ApplyOutcome()
            for ack in acknowledgements {
                if let server = ack.serverRecord {
                    try mergeRemote(db, server, into: &outcome)
                } else if let pushed = ack.pushedClock {
                    // Accepted as it was pushed: the server's state is the pushed one.
                    try Self.storeSyncedClock(db, pushed, collection: ack.key.collection, id: ack.key.id)
                }
                // Only if the record did not change again after it was read for this push.
                try db.cachedStatement(sql: "DELETE FROM outbox WHERE collection = ? AND id = ? AND seq = ?")
                    .execute(arguments: [ack.key.collection, ack.key.id, Int64(ack.marker.rawValue)])
            }
            return outcome
        }
    }

    /// The cursor stored with the last applied page.
    public func pullCursor() async throws -> String? {
        try read { db in try metaValue(db, MetaKey.pullCursor) }
    }

    /// Merges the page's records, drops its removed records and stores its cursor, in one transaction.
    public func apply(page: PullPage) async throws -> ApplyOutcome {
        try bulkWrite { db in
            var outcome = ApplyOutcome()
            for record in page.records {
                try mergeRemote(db, record, into: &outcome)
            }
            if !page.removed.isEmpty {
                try removeRecords(db, page.removed, into: &outcome, at: Date())
            }
            try setMetaValue(db, MetaKey.pullCursor, page.nextCursor)
            return outcome
        }
    }

    /// How many records wait in the outbox.
    public func pendingChangeCount() async throws -> Int {
        try outboxCount()
    }

    /// Stores when the sync finished (``SyncStatus/lastSuccessfulSync``), and compacts the search index when
    /// records left the device.
    public func syncCompleted(_ summary: SyncSummary) async throws {
        try write { db in
            try setMetaValue(db, MetaKey.lastSync, ISO8601DateFormatter().string(from: Date()))
        }
        // Records left the device: their words leave the search index too, not only stop matching.
        if summary.removed > 0 { try compactSearchIndex() }
    }

    /// Merges a remote state into the local one, saving only a real change.
    private func mergeRemote(_ db: Database, _ remote: SyncRecord, into outcome: inout ApplyOutcome) throws {
        let key = RecordKey(collection: remote.collection, id: remote.id)
        // The server's state only grows, so the latest one it sent is what it is known to hold.
        try Self.storeSyncedClock(db, remote.clock, collection: remote.collection, id: remote.id)
        let local = try loadRecord(db, collection: remote.collection, id: remote.id)
        let merged = local.map { $0.merged(with: remote) } ?? remote
        if let local, local.clock.compare(remote.clock) == .concurrent {
            outcome.merged += 1
        }
        if merged != local {
            try saveRecord(db, merged, local: false, isNew: local == nil)
            outcome.changed += 1
        }
        if merged.isInConflict {
            outcome.conflicted.insert(key)
        }
    }
}

extension LocalStore {
    /// How many records wait to be pushed.
    public func outboxCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0 }
    }

    func metaValue(_ db: Database, _ key: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
    }

    func setMetaValue(_ db: Database, _ key: String, _ value: String?) throws {
        if let value {
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
        } else {
            try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [key])
        }
    }
}
