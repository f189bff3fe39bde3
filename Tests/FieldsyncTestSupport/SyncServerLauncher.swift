import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real `sync-server` process for end-to-end tests and benchmarks: started with the arguments given, ready once
/// it prints its `listening on URL` line (within a deadline that really fires: a server that hangs silently is
/// killed and reported), stopped with SIGTERM.
///
/// ```swift
/// let server = try SyncServerLauncher(["serve", "--database", database, "--listen", "127.0.0.1:0"])
/// defer { server.stop() }
/// let transport = try HTTPSyncTransport(configuration: .init(baseURL: server.url), logger: logger)
/// ```
public final class SyncServerLauncher: @unchecked Sendable {
    /// How long a server may take to print its listening line: a loaded CI machine starting PostgreSQL-backed
    /// servers in parallel has taken more than 30 s.
    public static let defaultStartDeadline: TimeInterval = 90

    /// The running server; its standard output (the listening line) is collected on a thread of its own.
    public let child: RunningProcess
    /// The base URL from the listening line, e.g. `http://127.0.0.1:41234`.
    public let url: String
    /// Where the server's standard error goes, when a file was given.
    public let logURL: URL?

    public var pid: Int32 { child.pid }

    /// Starts `executable` (default: the built `sync-server`) with `arguments` (e.g. `serve --listen
    /// 127.0.0.1:0 ...`) and waits at most `startDeadline` seconds for its listening line. `environment` replaces
    /// the inherited one when given; standard error goes to `log` (created) or nowhere.
    public init(
        _ arguments: [String], executable: URL? = nil, environment: [String: String]? = nil, log: URL? = nil,
        startDeadline: TimeInterval = SyncServerLauncher.defaultStartDeadline
    ) throws {
        let executable = try executable ?? BuiltProducts.executable("sync-server")
        var stderr = FileHandle.nullDevice
        if let log {
            FileManager.default.createFile(atPath: log.path, contents: nil)
            stderr = try FileHandle(forWritingTo: log)
        }
        let child = try RunningProcess(executable, arguments, environment: environment, stderr: stderr)
        let listening = child.wait(within: startDeadline) { Self.listeningURL(in: $0.text) != nil }
        guard listening, let url = Self.listeningURL(in: child.output.text) else {
            let stillRunning = child.isRunning
            child.kill(SIGKILL)
            throw DidNotStart(
                command: ProcessRunner.commandLine(executable, arguments),
                reason: stillRunning
                    ? "no listening line within \(Int(startDeadline)) s (killed)"
                    : "exited with status \(child.child.terminationStatus) before listening",
                stdout: child.output.text, log: log.map { Self.tail(of: $0) } ?? "")
        }
        self.child = child
        self.url = url
        self.logURL = log
    }

    /// Like ``init(_:executable:environment:log:startDeadline:)``, waiting on a thread of its own, so an async
    /// test does not hold a cooperative-pool thread for up to `startDeadline`.
    public static func start(
        _ arguments: [String], executable: URL? = nil, environment: [String: String]? = nil, log: URL? = nil,
        startDeadline: TimeInterval = SyncServerLauncher.defaultStartDeadline
    ) async throws -> SyncServerLauncher {
        try await onOwnThread {
            try SyncServerLauncher(
                arguments, executable: executable, environment: environment, log: log, startDeadline: startDeadline)
        }
    }

    /// Whether the process still runs.
    public var isRunning: Bool { child.isRunning }

    /// Sends SIGTERM and waits at most `timeout` seconds for the exit; returns the exit status, or `nil` when the
    /// server had to be killed with SIGKILL. Safe to call again (returns the same status).
    @discardableResult
    public func stop(within timeout: TimeInterval = 30) -> Int32? {
        child.stop(within: timeout)
    }

    /// ``stop(within:)`` on a thread of its own, for async tests.
    public func stopped(within timeout: TimeInterval = 30) async -> Int32? {
        (try? await onOwnThread { self.stop(within: timeout) }) ?? nil
    }

    deinit { stop() }

    /// The URL after `listening on ` in a complete line of `text`.
    static func listeningURL(in text: String) -> String? {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if let range = line.range(of: "listening on ") {
                let url = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
                if !url.isEmpty { return url }
            }
        }
        return nil
    }

    /// The last lines of a log file, for error messages.
    public static func tail(of url: URL, lines: Int = 20) -> String {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// The server exited or stayed silent before printing its listening line.
    public struct DidNotStart: Error, CustomStringConvertible {
        public var command: String
        public var reason: String
        public var stdout: String
        public var log: String
        public var description: String {
            "\(command): \(reason)" + (stdout.isEmpty ? "" : "\nstdout: \(stdout)")
                + (log.isEmpty ? "" : "\nlog:\n\(log)")
        }
    }
}
