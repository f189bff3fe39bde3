import Foundation
import GRDB
import SyncProtocol

extension LocalStore {
    /// Why records left the device when its adviser stopped being a member of the store's team.
    static let teamAccessEndedReason = "access ended: the adviser is no longer a member of the team"

    /// Drops every record of the store, which holds one team's records, because the adviser is no longer a
    /// member of the team (README §14.4): records, projections and search entries go; records with unsynced
    /// local changes are kept aside (encrypted, never sent) for a person to see; the pull cursor is cleared,
    /// so a later membership starts from the beginning. One transaction.
    public func teamAccessEnded() async throws -> ApplyOutcome {
        try write { db in
            var outcome = ApplyOutcome()
            let keys = try Row.fetchAll(db, sql: "SELECT collection, id FROM record ORDER BY collection, id").map {
                RecordKey(collection: $0["collection"], id: $0["id"])
            }
            // Notes first: a subject's removal would otherwise take its notes with another reason.
            let ordered =
                keys.filter { $0.collection != Collection.subjects }
                + keys.filter { $0.collection == Collection.subjects }
            for key in ordered {
                try removeRecord(db, key, reason: Self.teamAccessEndedReason, into: &outcome, at: Date())
            }
            try setMetaValue(db, MetaKey.pullCursor, nil)
            try db.execute(sql: "INSERT INTO note_fts(note_fts) VALUES('optimize')")
            return outcome
        }
    }
}
