import Foundation

/// Finds the package's built executables (`sync-server`, `fieldcli`, `vfs-torture`, the benchmarks), which SwiftPM
/// puts in one build directory: `$FIELDSYNC_BIN_DIR` when set (scripts/test.sh sets it), else the directory of
/// the running test bundle or benchmark, or one above it (a test binary may sit inside a `.xctest` bundle).
///
/// ```swift
/// let server = try BuiltProducts.executable("sync-server")
/// ```
public enum BuiltProducts {
    /// Where `name` is: in `$FIELDSYNC_BIN_DIR`, else beside the running executable or a few directories up. The
    /// path is returned even when nothing is there, so a failure to run it names where it was looked for.
    public static func url(_ name: String) -> URL {
        if let directory = ProcessInfo.processInfo.environment["FIELDSYNC_BIN_DIR"], !directory.isEmpty {
            return URL(fileURLWithPath: directory).appendingPathComponent(name)
        }
        return besideRunningExecutable(name)
    }

    /// `name` beside the running executable (or up to three directories above it), whatever
    /// `$FIELDSYNC_BIN_DIR` says: a benchmark runs the `sync-server` of its own build (release beside release).
    public static func besideRunningExecutable(_ name: String) -> URL {
        let starts = runningExecutableDirectories
        for start in starts {
            var directory = start
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                directory.deleteLastPathComponent()
            }
        }
        return (starts.first ?? URL(fileURLWithPath: ".")).appendingPathComponent(name)
    }

    /// `name`, or an error saying where it was looked for and how to build it.
    public static func executable(_ name: String) throws -> URL {
        let candidate = url(name)
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw NotBuilt(name: name, path: candidate.path)
        }
        return candidate
    }

    /// The running executable's directory, through `/proc/self/exe` (Linux), `argv[0]` and the main bundle.
    private static var runningExecutableDirectories: [URL] {
        var executables: [URL] = []
        if FileManager.default.fileExists(atPath: "/proc/self/exe") {
            executables.append(URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath())
        }
        if let first = CommandLine.arguments.first {
            executables.append(URL(fileURLWithPath: first).resolvingSymlinksInPath())
        }
        if let bundle = Bundle.main.executableURL { executables.append(bundle.resolvingSymlinksInPath()) }
        var directories: [URL] = []
        for directory in executables.map({ $0.deletingLastPathComponent() }) where !directories.contains(directory) {
            directories.append(directory)
        }
        return directories
    }

    /// An executable the tests or a benchmark need is not in the build directory.
    public struct NotBuilt: Error, CustomStringConvertible {
        public var name: String
        public var path: String
        public var description: String {
            "\(name) is not built (looked for \(path)): run `swift build --build-tests` first"
                + (name.hasPrefix("bench-")
                    ? " (benchmarks: FIELDSYNC_BENCHMARKS=1 swift build --product \(name))" : "")
        }
    }
}
