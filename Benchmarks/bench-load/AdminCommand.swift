import FieldsyncTestSupport
import Foundation

/// Runs `sync-server admin --database URL ...` commands, each a short process of its own.
struct AdminCommand: Sendable {
    let executable: URL
    let database: String

    /// Runs one admin command and returns its standard output; a failure carries the command and its stderr.
    func run(_ arguments: [String]) async throws -> String {
        let full = ["admin", "--database", database, "--log-level", "error"] + arguments
        // Process waits block a thread: keep them off the concurrency pool's few threads.
        let result = try await onOwnThread { [executable] in
            try ProcessRunner().run(executable, full, timeout: 300)
        }
        guard result.status == 0 else {
            throw BenchError(
                "\(result.command) exited with \(result.status): "
                    + result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return result.stdout
    }
}

extension SyncServerLauncher {
    /// `sync-server serve` on a loopback port the kernel picks, with rate limits far above what the load needs
    /// (the benchmark measures the server's work, not its refusals), its standard error in `log`.
    static func underLoad(
        executable: URL, database: String, log: URL, startDeadline: TimeInterval = 60
    ) throws -> SyncServerLauncher {
        try SyncServerLauncher(
            [
                "serve", "--database", database, "--listen", "127.0.0.1:0", "--log-level", "error",
                "--rate-burst", "100000", "--rate-per-second", "100000",
                // Every simulated device enrols from 127.0.0.1, which the per-address limit would throttle.
                "--anonymous-rate-burst", "100000", "--anonymous-rate-per-second", "100000",
            ], executable: executable, log: log, startDeadline: startDeadline)
    }
}
