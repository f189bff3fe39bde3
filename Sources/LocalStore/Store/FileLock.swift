import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory exclusive lock on a file, held for the life of an open store.
///
/// SQLite coordinates its own readers and writers, but a store is meant to be opened by one process at a time
/// (the CLI, or the sync engine inside it), so a second process gets a clear "in use" error instead of waiting.
final class FileLock: @unchecked Sendable {
    private var descriptor: Int32

    /// Takes the lock or throws `LocalStoreError.lockedByAnotherProcess`.
    init(url: URL, storeDirectory: URL) throws {
        descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LocalStoreError.io("cannot open lock file \(url.path): \(String(cString: strerror(errno)))")
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(descriptor)
            descriptor = -1
            if code == EWOULDBLOCK {
                throw LocalStoreError.lockedByAnotherProcess(storeDirectory)
            }
            throw LocalStoreError.io("cannot lock \(url.path): \(String(cString: strerror(code)))")
        }
    }

    /// Releases the lock. Safe to call more than once.
    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
