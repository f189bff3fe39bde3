import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Finds the package's built executables: `$FIELDSYNC_BIN_DIR` (set by scripts/test.sh), else the directory of
/// the running test binary, which SwiftPM builds next to them.
enum Executables {
    static var binDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["FIELDSYNC_BIN_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test binary may sit inside a `.xctest` bundle directory.
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("fieldcli").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }

    static func url(_ name: String) -> URL { binDirectory.appendingPathComponent(name) }
}

/// The outcome of running a command.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String

    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// Runs executables with a private environment and a time limit.
struct CommandRunner {
    var environment: [String: String]

    init(environment: [String: String] = [:]) {
        var base = ["PATH": "/usr/bin:/bin", "HOME": FileManager.default.temporaryDirectory.path, "LANG": "C.UTF-8"]
        base.merge(environment) { _, new in new }
        self.environment = base
    }

    /// Runs `executable` with `arguments`, feeding `stdin` (or nothing), and waits at most `timeout` seconds.
    func run(
        _ executable: String, _ arguments: [String], stdin: String? = nil, extraEnvironment: [String: String] = [:],
        timeout: TimeInterval = 60
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = Executables.url(executable)
        process.arguments = arguments
        process.environment = environment.merging(extraEnvironment) { _, new in new }
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let outData = LockedData()
        let errData = LockedData()
        let group = DispatchGroup()
        for (pipe, sink) in [(output, outData), (errors, errData)] {
            group.enter()
            DispatchQueue.global().async {
                sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            throw CommandTimeout(command: "\(executable) \(arguments.joined(separator: " "))")
        }
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, stdout: String(decoding: outData.get(), as: UTF8.self),
            stderr: String(decoding: errData.get(), as: UTF8.self))
    }
}

struct CommandTimeout: Error, CustomStringConvertible {
    var command: String
    var description: String { "timed out: \(command)" }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// A temporary directory removed when released.
final class TemporaryDirectory {
    let url: URL

    init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("fieldsync-e2e-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var path: String { url.path }

    deinit { try? FileManager.default.removeItem(at: url) }
}
