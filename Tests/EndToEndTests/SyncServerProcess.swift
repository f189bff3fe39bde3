import Foundation

/// A real `sync-server` process on a loopback port chosen by the kernel, with its own SQLite database (or the
/// PostgreSQL database given), stopped with SIGTERM when the test is done. Its log is `server.log` in `directory`.
final class SyncServerProcess {
    let database: String
    let directory: TemporaryDirectory
    private(set) var url = ""
    private var server: SyncServerLauncher?
    private var logURL: URL { directory.file("server.log") }

    init(database: String? = nil) throws {
        directory = try TemporaryDirectory("server")
        self.database = database ?? "sqlite:" + directory.file("fieldsync.sqlite").path
        try start()
    }

    /// Starts the server and waits (with the launcher's deadline) for its "listening on" line.
    func start(listen: String = "127.0.0.1:0") throws {
        let server = try SyncServerLauncher(
            ["serve", "--database", database, "--listen", listen, "--log-level", "warning"], log: logURL)
        self.server = server
        url = server.url
    }

    /// Sends SIGTERM and waits for the process to exit.
    func stop() {
        server?.stop()
        server = nil
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
