import GRDB
import SyncProtocol

extension SQLiteStorage {
    /// Replaces the server's replica id chosen at migration (random) with `replica`, so that a seeded simulation
    /// of the shipped server writes the same dots in every run. For the simulator only: a server's replica id
    /// must never change once devices hold its writes.
    package func setServerReplica(_ replica: ReplicaID) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE server_settings SET value = ? WHERE name = 'replica'", arguments: [replica.rawValue])
        }
    }
}
