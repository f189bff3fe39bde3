import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real `sync-server` process on a loopback port chosen by the kernel, with its own SQLite database (or the
/// PostgreSQL database given), stopped with SIGTERM when the test is done.
final class SyncServerProcess {
    let database: String
    let directory: TemporaryDirectory
    private(set) var url = ""
    private var process: Process?
    private var logURL: URL { directory.url.appendingPathComponent("server.log") }

    init(database: String? = nil) throws {
        directory = try TemporaryDirectory("server")
        self.database = database ?? "sqlite:" + directory.url.appendingPathComponent("fieldsync.sqlite").path
        try start()
    }

    /// Starts the server and waits for its "listening on" line.
    func start(listen: String = "127.0.0.1:0") throws {
        let process = Process()
        process.executableURL = Executables.url("sync-server")
        process.arguments = ["serve", "--database", database, "--listen", listen, "--log-level", "warning"]
        let output = Pipe()
        process.standardOutput = output
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(30)
        var seen = Data()
        while Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
            let text = String(decoding: seen, as: UTF8.self)
            if let range = text.range(of: #"https?://[0-9.:\[\]]+"#, options: .regularExpression) {
                url = String(text[range])
                return
            }
        }
        stop()
        throw ServerFailed(log: (try? String(contentsOf: logURL, encoding: .utf8)) ?? "")
    }

    /// Sends SIGTERM and waits for the process to exit.
    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        self.process = nil
    }

    /// Runs `sync-server admin --database ... ARGS` and returns its stdout.
    @discardableResult
    func admin(_ arguments: String...) throws -> CommandResult {
        let result = try CommandRunner().run("sync-server", ["admin", "--database", database] + arguments)
        guard result.status == 0 else { throw ServerFailed(log: result.stderr) }
        return result
    }

    /// A fresh one-time enrolment code for an adviser (the last line of the admin command's output).
    func enrolmentCode(adviser: String) throws -> String {
        try admin("enrolment-code", "--adviser", adviser).lines.last ?? ""
    }

    deinit { stop() }
}

struct ServerFailed: Error, CustomStringConvertible {
    var log: String
    var description: String { "sync-server failed:\n\(log)" }
}
