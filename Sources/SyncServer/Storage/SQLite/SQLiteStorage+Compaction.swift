import GRDB
import SyncProtocol

extension SQLiteStorage {
    public func feedPositions(team: String) async throws -> [RecordKey: Int64] {
        try await pool.read { db in
            var positions: [RecordKey: Int64] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT collection, id, seq FROM feed WHERE team = ? AND NOT removed", arguments: [team])
            while let row = try rows.next() {
                positions[RecordKey(collection: row["collection"], id: row["id"])] = row["seq"]
            }
            return positions
        }
    }
}
