import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive advisory lock (`flock`) on `DATABASE.lock`, next to an SQLite database.
///
/// `sync-server serve` holds it for as long as it runs, and `admin restore` takes it before replacing the
/// file, so a restore never pulls a database out from under a running server (nor do two servers share one
/// SQLite file). The kernel drops the lock when the process exits, however it exits: a stale lock file is
/// harmless. Admin commands and `admin backup` do not take it: SQLite lets them work beside the server.
public final class DatabaseLock: @unchecked Sendable {
    /// The lock file.
    public let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// The lock file of the database at `databasePath`, next to the real file (symbolic links and relative paths
    /// resolved, so the server and `restore` agree however each was given the path).
    public static func lockFile(forDatabaseAt databasePath: String) -> String {
        URL(fileURLWithPath: databasePath).standardizedFileURL.resolvingSymlinksInPath().path + ".lock"
    }

    /// Takes the lock without waiting, or throws ``StorageError/databaseInUse(_:lockFile:)``.
    public static func acquire(forDatabaseAt databasePath: String) throws(StorageError) -> DatabaseLock {
        let directory = URL(fileURLWithPath: databasePath).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = lockFile(forDatabaseAt: databasePath)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .backend(operation: "lock", underlying: "cannot open '\(path)': \(String(cString: strerror(errno)))")
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { throw .databaseInUse(databasePath, lockFile: path) }
            throw .backend(operation: "lock", underlying: "cannot lock '\(path)': \(String(cString: strerror(code)))")
        }
        return DatabaseLock(path: path, descriptor: descriptor)
    }

    /// Releases the lock. Safe to call more than once.
    public func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
