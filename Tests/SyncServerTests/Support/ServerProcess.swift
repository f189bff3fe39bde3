// Every file of the server tests sees the shared test support (built products, process runner, the sync-server
// launcher) without importing it.
@_exported import FieldsyncTestSupport
import Foundation

/// The `sync-server` executable, run as a child process.
struct ServerProcess {
    let server: SyncServerLauncher
    /// The base URL printed by `serve` once it listens.
    var baseURL: String { server.url }

    /// The built `sync-server` (`$FIELDSYNC_BIN_DIR`, else the build directory of the test bundle).
    static var executable: URL {
        get throws { try BuiltProducts.executable("sync-server") }
    }

    /// Runs `sync-server` with `arguments` to completion and returns its standard output; a non-zero exit is an
    /// error that carries the status and standard error.
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let result = try CommandResult.run(arguments, environment: environment)
        guard result.status == 0 else {
            throw TestSetupError(
                "sync-server \(arguments.joined(separator: " ")) exited with \(result.status): \(result.error)")
        }
        return result.output
    }

    /// Starts `sync-server serve --listen 127.0.0.1:0` and waits (with the launcher's deadline, 90 s: a loaded CI
    /// machine starting PostgreSQL-backed servers in parallel has taken more than 30 s) for its listening line.
    static func start(environment: [String: String]) async throws -> ServerProcess {
        let server = try await SyncServerLauncher.start(
            ["serve", "--listen", "127.0.0.1:0"],
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        return ServerProcess(server: server)
    }

    /// Sends SIGTERM and waits (at most 15 s) for the exit; returns the exit status.
    func stop() async throws -> Int32 {
        guard let status = await server.stopped(within: 15) else {
            throw TestSetupError("sync-server did not stop within 15 s of SIGTERM")
        }
        return status
    }
}
