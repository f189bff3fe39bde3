import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The user's private place for short-lived secrets (editor drafts, the unlock agent's socket):
/// `$XDG_RUNTIME_DIR` (per user, RAM-backed, 0700), else a private folder in `/dev/shm`, else in the temporary
/// directory. Never a place another user can enter.
enum RuntimeDirectory {
    static func url(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty, isPrivate(runtime) {
            return URL(fileURLWithPath: runtime)
        }
        for base in ["/dev/shm", FileManager.default.temporaryDirectory.path] {
            var info = stat()
            guard stat(base, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            let folder = URL(fileURLWithPath: base).appendingPathComponent("fieldcli-\(getuid())")
            if mkdir(folder.path, 0o700) != 0 && errno != EEXIST { continue }
            if isPrivate(folder.path) { return folder }
        }
        throw CLIError(Text.noRuntimeDirectory)
    }

    /// A real directory (not a symlink) owned by this user that nobody else can enter.
    static func isPrivate(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFDIR && info.st_uid == getuid() && (info.st_mode & 0o077) == 0
    }
}
