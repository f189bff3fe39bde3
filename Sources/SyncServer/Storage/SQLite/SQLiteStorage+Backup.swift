import CFieldVFS
import CSQLite
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a backup or restore copied, for its summary line.
public struct SQLiteBackupSummary: Sendable, Hashable {
    /// The file written.
    public var path: String
    /// Its size in bytes.
    public var bytes: Int64
    /// Whether it is encrypted (through the `fieldvfs` VFS).
    public var encrypted: Bool
    /// Teams, records and the sum of the teams' last change positions in the copy.
    public var teams: Int
    /// Records in the copy.
    public var records: Int
    /// The sum of the teams' last change positions in the copy.
    public var changePositions: Int64
    /// How long the copy took, in seconds.
    public var seconds: Double
    /// By how much a restore advanced every team's change sequence (0 for a backup).
    public var positionsSkipped: Int64 = 0
}

extension SQLiteStorage {
    /// Copies the database at `path` to a new file `destination`: a consistent snapshot (one read
    /// transaction, `VACUUM INTO`) taken while a server may go on serving from the same file.
    ///
    /// The copy is encrypted under `destinationKey`, which defaults to `encryptionKey` (the source's key), so
    /// an encrypted database is never copied in the clear; a plain database copied under a key is how a plain
    /// database becomes encrypted, and a copy under another key is how a key is rotated. The copy is written
    /// to a temporary file, checked (`PRAGMA quick_check` through its key), made durable and only then
    /// renamed to `destination`, which must not exist.
    public static func backup(
        databaseAt path: String, encryptionKey: DatabaseKey?, to destination: String,
        destinationKey: DatabaseKey? = nil
    ) throws(StorageError) -> SQLiteBackupSummary {
        let started = ContinuousClock.now
        let targetKey = destinationKey ?? encryptionKey
        guard FileManager.default.fileExists(atPath: path) else { throw .backup("no database at '\(path)'") }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw .backup("'\(destination)' exists already; a backup never replaces a file")
        }
        let temporary = partialPath(for: destination)
        // Readable by its owner only; VACUUM INTO accepts an empty file.
        let created = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard created >= 0 else {
            throw .backup("cannot create '\(temporary)': \(String(cString: strerror(errno)))")
        }
        close(created)
        do {
            let source = try openQueue(path: path, key: encryptionKey, readonly: false)
            defer { try? source.close() }
            try source.writeWithoutTransaction { db in
                if encryptionKey == nil, targetKey != nil {
                    // VACUUM INTO gives the copy the reserved bytes the source asks for: ask for the VFS's nonce
                    // and tag (the source file itself is not changed), and keep temporary data in memory.
                    var reserve = Int32(FIELDVFS_RESERVE_BYTES)
                    _ = sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve)
                    try db.execute(sql: "PRAGMA temp_store = MEMORY")
                }
                try db.execute(sql: "VACUUM INTO ?", arguments: [targetKey?.uri(forDatabaseAt: temporary) ?? temporary])
            }
            try syncFile(temporary)
            let counts = try verify(path: temporary, key: targetKey)
            guard rename(temporary, destination) == 0 else {
                let reason = String(cString: strerror(errno))
                throw StorageError.backup("cannot rename the copy to '\(destination)': \(reason)")
            }
            DatabaseKey.syncDirectory(of: destination)
            return SQLiteBackupSummary(
                path: destination, bytes: fileSize(destination), encrypted: targetKey != nil, teams: counts.teams,
                records: counts.records, changePositions: counts.positions,
                seconds: (ContinuousClock.now - started).seconds)
        } catch let error as StorageError {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        } catch let error as DatabaseError {
            try? FileManager.default.removeItem(atPath: temporary)
            throw openError(error, path: path, key: encryptionKey)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .backup("backup of '\(path)' failed: \(error)")
        }
    }

    /// How far a restore advances every team's change sequence (beyond the higher of the backup's and, when it
    /// can still be read, the replaced database's).
    ///
    /// Devices that synced after the backup was taken hold cursors past the backup's positions. Without the
    /// gap, the first new changes after the restore would take those same numbers: such a device would first
    /// be refused (`invalid_cursor`, the cursor is ahead) and then, once the sequence caught up, skip the new
    /// changes numbered at or below its cursor; and a final push carrying such a cursor would vouch for
    /// versions the device never received (the stable position of protocol README §4.4). After the gap every
    /// new change is numbered above any cursor issued before the restore, so those devices simply continue.
    /// Positions are opaque to clients and a pull may skip numbers (protocol README §5).
    public static let restorePositionGap: Int64 = 1_000_000_000

    /// Puts the backup `backupPath` in place of the database at `path`, atomically.
    ///
    /// Takes the database's ``DatabaseLock`` first, so it refuses while a server has the database open. The
    /// backup must open with `encryptionKey` (the key the server will use) and pass `PRAGMA quick_check`; it is
    /// copied next to `path`, made durable, the old database's WAL, shared-memory and journal files are removed
    /// (they belong to the old file and must never be applied to the restored one), every team's change
    /// sequence in the copy starts ``restorePositionGap`` above the higher of the backup's and the replaced
    /// database's, and the copy is renamed over `path`. A crash
    /// at any point leaves either the old database or the restored one.
    public static func restore(
        from backupPath: String, encryptionKey: DatabaseKey?, toDatabaseAt path: String
    ) throws(StorageError) -> SQLiteBackupSummary {
        let started = ContinuousClock.now
        let lock = try DatabaseLock.acquire(forDatabaseAt: path)
        defer { lock.release() }
        guard FileManager.default.fileExists(atPath: backupPath) else { throw .backup("no backup at '\(backupPath)'") }
        let temporary = partialPath(for: path)
        do {
            let counts = try verify(path: backupPath, key: encryptionKey)
            try FileManager.default.copyItem(atPath: backupPath, toPath: temporary)
            _ = chmod(temporary, 0o600)
            // The database being replaced may have numbered further than the backup (even past an earlier
            // restore's gap): start above the higher of the two where it can still be read.
            let replaced =
                FileManager.default.fileExists(atPath: path)
                ? try? lastPositions(path: path, key: encryptionKey) : nil
            let copy = try openQueue(path: temporary, key: encryptionKey, readonly: false)
            try copy.write { db in
                for (team, position) in try lastPositions(db) {
                    let start = max(position, replaced?[team] ?? 0) + restorePositionGap
                    try db.execute(sql: "UPDATE teams SET last_seq = ? WHERE name = ?", arguments: [start, team])
                }
            }
            try copy.close()
            try syncFile(temporary)
            for suffix in ["-wal", "-shm", "-journal"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.removeItem(atPath: path + suffix)
            }
            guard rename(temporary, path) == 0 else {
                throw StorageError.backup("cannot rename the copy to '\(path)': \(String(cString: strerror(errno)))")
            }
            DatabaseKey.syncDirectory(of: path)
            return SQLiteBackupSummary(
                path: path, bytes: fileSize(path), encrypted: encryptionKey != nil, teams: counts.teams,
                records: counts.records, changePositions: counts.positions,
                seconds: (ContinuousClock.now - started).seconds, positionsSkipped: restorePositionGap)
        } catch let error as StorageError {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        } catch let error as DatabaseError {
            try? FileManager.default.removeItem(atPath: temporary)
            throw openError(error, path: backupPath, key: encryptionKey)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .backup("restore from '\(backupPath)' failed: \(error)")
        }
    }

    /// Opens a copy read-only through its key, checks it, and counts what it holds.
    static func verify(path: String, key: DatabaseKey?) throws -> (teams: Int, records: Int, positions: Int64) {
        let queue = try openQueue(path: path, key: key, readonly: true)
        defer { try? queue.close() }
        return try queue.read { db in
            let check = try String.fetchAll(db, sql: "PRAGMA quick_check")
            guard check == ["ok"] else {
                let problems = check.prefix(3).joined(separator: "; ")
                throw StorageError.backup("'\(path)' fails its integrity check: \(problems)")
            }
            let known = migrator.migrations
            let applied = try migrator.appliedIdentifiers(db)
            if !applied.subtracting(known).isEmpty {
                throw StorageError.unknownMigrations(applied.subtracting(known).sorted())
            }
            guard try db.tableExists("teams"), try db.tableExists("records") else {
                throw StorageError.backup("'\(path)' is not a fieldsync server database")
            }
            let teams = try Int.fetchOne(db, sql: "SELECT count(*) FROM teams") ?? 0
            let records = try Int.fetchOne(db, sql: "SELECT count(*) FROM records") ?? 0
            let positions = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(last_seq), 0) FROM teams") ?? 0
            return (teams, records, positions)
        }
    }

    /// Every team's last change position in the database at `path`.
    static func lastPositions(path: String, key: DatabaseKey?) throws -> [String: Int64] {
        let queue = try openQueue(path: path, key: key, readonly: false)
        defer { try? queue.close() }
        return try queue.read { db in try lastPositions(db) }
    }

    static func lastPositions(_ db: Database) throws -> [String: Int64] {
        var positions: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, last_seq FROM teams") {
            positions[row["name"]] = row["last_seq"]
        }
        return positions
    }

    /// One connection to a database file, through the VFS when `key` is given.
    static func openQueue(path: String, key: DatabaseKey?, readonly: Bool) throws -> DatabaseQueue {
        var configuration = configuration(encrypted: key != nil)
        configuration.label = "fieldsync-server.backup"
        configuration.readonly = readonly
        try checkHeader(path: path, key: key)
        do {
            let queue = try DatabaseQueue(path: key?.uri(forDatabaseAt: path) ?? path, configuration: configuration)
            _ = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
            return queue
        } catch let error as DatabaseError {
            throw openError(error, path: path, key: key)
        }
    }

    /// A temporary name next to `path`, in the same directory so the final rename is atomic.
    static func partialPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let name = ".\(url.lastPathComponent).partial-\(UUID().uuidString.prefix(8).lowercased())"
        return url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    static func syncFile(_ path: String) throws(StorageError) {
        let descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0, fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            if descriptor >= 0 { close(descriptor) }
            throw .backup("cannot make '\(path)' durable: \(reason)")
        }
        close(descriptor)
    }

    static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
