import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Building a new store next to where it will live, and moving it into place whole.
extension StoreLocation {
    /// The prefix of the hidden sibling directories new stores are built in: `.NAME.init-PID-RANDOM`.
    private var stagingPrefix: String { ".\(directory.lastPathComponent).init-" }

    /// Refuses a directory that holds anything but an old lock file: a store is never built among other files.
    func requireEmptyOrMissing() throws {
        let fileManager = FileManager.default
        guard let names = try? fileManager.contentsOfDirectory(atPath: directory.path) else { return }
        let others = names.filter { $0 != lockURL.lastPathComponent }
        guard others.isEmpty else {
            throw LocalStoreError.invalidInput(
                "\(directory.path) exists and holds other files; choose an empty or new directory for the store")
        }
    }

    /// Creates a private staging directory beside this location, after removing builds abandoned by processes
    /// that no longer run (a build is incomplete by definition, and holds no note yet).
    func makeStaging() throws -> StoreLocation {
        let fileManager = FileManager.default
        let parent = directory.deletingLastPathComponent()
        do {
            try fileManager.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw LocalStoreError.io("cannot create \(parent.path): \(error.localizedDescription)")
        }
        removeAbandonedStaging(in: parent)
        let name = stagingPrefix + "\(getpid())-" + UUID().uuidString.prefix(8)
        let staging = parent.appendingPathComponent(name)
        guard mkdir(staging.path, 0o700) == 0 else {
            throw LocalStoreError.io("cannot create \(staging.path): \(String(cString: strerror(errno)))")
        }
        // The database file is the owner's only (SQLite would create it 0644 less the umask, and gives its log
        // and shared-memory files the database file's mode): encrypted or not, nobody else opens it.
        let location = StoreLocation(directory: staging)
        let descriptor = open(location.databaseURL.path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LocalStoreError.io("cannot create the store's database: \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        return location
    }

    /// Moves this (staging) directory to `target`, which must be missing or empty, and makes the move durable.
    func move(to target: StoreLocation) throws {
        // An empty target (or one holding only an old lock file) is replaced; rename(2) replaces empty directories.
        try? FileManager.default.removeItem(at: target.lockURL)
        guard rename(directory.path, target.directory.path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw LocalStoreError.io("cannot move the new store into \(target.directory.path): \(reason)")
        }
        let parent = open(target.directory.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if parent >= 0 {
            fsync(parent)
            close(parent)
        }
    }

    /// Removes a staging directory and whatever is in it.
    func removeStaging() {
        try? FileManager.default.removeItem(at: directory)
    }

    private func removeAbandonedStaging(in parent: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return }
        for name in names where name.hasPrefix(stagingPrefix) {
            let rest = name.dropFirst(stagingPrefix.count)
            guard let pid = rest.split(separator: "-").first.flatMap({ pid_t($0) }) else { continue }
            if pid != getpid() && kill(pid, 0) == -1 && errno == ESRCH {
                try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
            }
        }
    }
}
