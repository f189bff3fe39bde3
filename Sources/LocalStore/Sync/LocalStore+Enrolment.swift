import Foundation
import GRDB
import SyncProtocol

/// This device's enrolment with a team's sync server. The bearer token is kept only inside the encrypted store.
public struct Enrolment: Codable, Equatable, Sendable {
    /// The server's base URL, e.g. `https://sync.example.org:8443`.
    public var serverURL: String
    /// The id the server gave this device.
    public var deviceID: String
    /// The team this store syncs with.
    public var team: String
    /// A PEM file of a certificate authority to trust for the server (self-signed servers), if any.
    public var trustedCertificatePath: String?

    /// Creates an enrolment with the values the server answered `enrol` with.
    public init(serverURL: String, deviceID: String, team: String, trustedCertificatePath: String? = nil) {
        self.serverURL = serverURL
        self.deviceID = deviceID
        self.team = team
        self.trustedCertificatePath = trustedCertificatePath
    }
}

/// What `fieldcli status` shows.
public struct SyncStatus: Codable, Equatable, Sendable {
    /// Records changed here and not yet acknowledged by the server.
    public var unsyncedChanges: Int
    /// When the last sync that pushed and pulled everything finished.
    public var lastSuccessfulSync: Date?
    /// The server, if enrolled.
    public var server: String?
    /// The team, if enrolled.
    public var team: String?
    /// The id the server gave this device, if enrolled.
    public var deviceID: String?
    /// This store's replica id.
    public var replica: String
    /// Records in conflict, waiting for a person.
    public var conflicts: Int
    /// Records kept aside because access to them ended while they held unsynced changes
    /// (``LocalStore/setAsideRecords()``).
    public var setAside: Int = 0
}

extension LocalStore {
    /// Stores the enrolment and its token (inside the encrypted database).
    public func saveEnrolment(_ enrolment: Enrolment, token: String) throws {
        let json = String(decoding: try JSONEncoder().encode(enrolment), as: UTF8.self)
        try write { db in
            try setMetaValue(db, MetaKey.enrolment, json)
            try setMetaValue(db, MetaKey.deviceToken, token)
        }
    }

    /// Re-enrolment (README §4.1 of the protocol): from now on the store writes with `replica`, a fresh replica
    /// id the server registered for the new enrolment, and keeps the id it wrote with so far as an earlier one.
    /// Every local record stays as it is, the outbox included: its unsynced writes under the earlier id are
    /// pushed as they are, and the server counts that id as this device's own because the new enrolment
    /// proved it with the previous token. The new enrolment and token replace the old ones, in the same
    /// transaction.
    ///
    /// - Throws: `LocalStoreError.invalidInput` when `replica` is one this store has written with already.
    public func reenrol(as replica: ReplicaID, enrolment: Enrolment, token: String) throws {
        let json = String(decoding: try JSONEncoder().encode(enrolment), as: UTF8.self)
        let ids = replicas.withLock { $0 }
        guard replica != ids.current, !ids.earlier.contains(replica) else {
            throw LocalStoreError.invalidInput("a re-enrolment needs a replica id this store has not used")
        }
        let earlier = ids.earlier + [ids.current]
        try write { db in
            try setMetaValue(db, MetaKey.replicaID, replica.rawValue)
            try setMetaValue(db, MetaKey.earlierReplicaIDs, earlier.map(\.rawValue).joined(separator: " "))
            try setMetaValue(db, MetaKey.enrolment, json)
            try setMetaValue(db, MetaKey.deviceToken, token)
        }
        // Only once stored: a failed transaction leaves the store writing with its old id.
        replicas.withLock { $0 = (current: replica, earlier: earlier) }
    }

    /// The enrolment and token, or nil if this store has not been enrolled.
    public func enrolment() throws -> (enrolment: Enrolment, token: String)? {
        try read { db in
            guard let json = try metaValue(db, MetaKey.enrolment), let token = try metaValue(db, MetaKey.deviceToken)
            else { return nil }
            do {
                return (try JSONDecoder().decode(Enrolment.self, from: Data(json.utf8)), token)
            } catch {
                throw LocalStoreError.damaged("the stored enrolment cannot be read")
            }
        }
    }

    /// Unsynced changes, last successful sync, server and conflicts.
    public func syncStatus() throws -> SyncStatus {
        let current = try enrolment()?.enrolment
        return try read { db in
            let last = try metaValue(db, MetaKey.lastSync).flatMap { ISO8601DateFormatter().date(from: $0) }
            let conflicts =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT (SELECT COUNT(*) FROM note WHERE hasConflict)
                             + (SELECT COUNT(*) FROM subject WHERE hasConflict)
                        """
                ) ?? 0
            return SyncStatus(
                unsyncedChanges: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0,
                lastSuccessfulSync: last, server: current?.serverURL, team: current?.team, deviceID: current?.deviceID,
                replica: replicaID.rawValue, conflicts: conflicts, setAside: try setAsideCount(db))
        }
    }
}
