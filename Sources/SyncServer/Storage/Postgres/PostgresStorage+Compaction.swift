import PostgresNIO
import SyncProtocol

extension PostgresStorage {
    public func feedPositions(team: String) async throws -> [RecordKey: Int64] {
        let rows = try await client.query(
            "SELECT collection, id, seq FROM feed WHERE team = \(team) AND NOT removed", logger: logger)
        var positions: [RecordKey: Int64] = [:]
        for try await (collection, id, seq) in rows.decode((String, String, Int64).self) {
            positions[RecordKey(collection: collection, id: id)] = seq
        }
        return positions
    }
}
