import Foundation
import GRDB
import Logging
import SyncProtocol

extension LocalStore {
    /// Keeps the team's directory of devices (from the server) so conflicts can name who wrote each value.
    ///
    /// It replaces the one saved before. It lives in the encrypted store like everything else: the names of
    /// advisers are personal data too.
    public func saveTeamDirectory(_ directory: TeamDirectory) throws {
        let json = String(decoding: try WireCoding.encode(directory), as: UTF8.self)
        try write { db in try setMetaValue(db, MetaKey.teamDirectory, json) }
    }

    /// The directory saved last, or `nil` if none was saved (or it cannot be read).
    public func teamDirectory() throws -> TeamDirectory? {
        try read { db in try loadTeamDirectory(db) }
    }

    func loadTeamDirectory(_ db: Database) throws -> TeamDirectory? {
        guard let json = try metaValue(db, MetaKey.teamDirectory) else { return nil }
        do {
            return try WireCoding.decode(TeamDirectory.self, from: json)
        } catch {
            // Only a convenience: one this build cannot read (written by a newer one) must not stop conflicts
            // from being listed; they fall back to replica ids until the next sync saves a fresh directory.
            logger.warning("ignoring an unreadable team directory", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
