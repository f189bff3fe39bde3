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

    public let process: Process
    /// The base URL from the listening line, e.g. `http://127.0.0.1:41234`.
    public let url: String
    /// Where the server's standard error goes, when a file was given.
    public let logURL: URL?
    private let exited = DispatchGroup()

    public var pid: Int32 { process.processIdentifier }

    /// Starts `executable` (default: the built `sync-server`) with `arguments` (e.g. `serve --listen
    /// 127.0.0.1:0 ...`) and waits at most `startDeadline` seconds for its listening line. `environment` replaces
    /// the inherited one when given; standard error goes to `log` (created) or nowhere.
    public init(
        _ arguments: [String], executable: URL? = nil, environment: [String: String]? = nil, log: URL? = nil,
        startDeadline: TimeInterval = SyncServerLauncher.defaultStartDeadline
    ) throws {
        let process = Process()
        let executable = try executable ?? BuiltProducts.executable("sync-server")
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        if let log {
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: log)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        exited.enter()
        process.terminationHandler = { [exited] _ in exited.leave() }
        do {
            try launchWithDefaultSignalMask(process)
        } catch {
            exited.leave()
            throw error
        }
        self.process = process
        self.logURL = log

        // Blocking reads on a thread of their own; after the listening line it keeps draining, so the server
        // never blocks on a full pipe.
        let seen = Locked(Data())
        let found = Locked<String?>(nil)
        let decided = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let handle = output.fileHandleForReading
            var reported = false
            while case let chunk = handle.availableData, !chunk.isEmpty {
                guard !reported else { continue }
                let text = seen.mutate { seen in
                    seen.append(chunk)
                    return String(decoding: seen, as: UTF8.self)
                }
                if let url = Self.listeningURL(in: text) {
                    found.mutate { $0 = url }
                    reported = true
                    decided.signal()
                }
            }
            if !reported { decided.signal() }
        }
        let inTime = decided.wait(timeout: .now() + startDeadline) == .success
        guard inTime, let url = found.value else {
            let stillRunning = process.isRunning
            if stillRunning { kill(process.processIdentifier, SIGKILL) }
            _ = exited.wait(timeout: .now() + 10)
            throw DidNotStart(
                command: ProcessRunner.commandLine(executable, arguments),
                reason: !inTime || stillRunning
                    ? "no listening line within \(Int(startDeadline)) s (killed)"
                    : "exited with status \(process.terminationStatus) before listening",
                stdout: String(decoding: seen.value, as: UTF8.self),
                log: log.map { Self.tail(of: $0) } ?? "")
        }
        self.url = url
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
    public var isRunning: Bool { process.isRunning }

    /// Sends SIGTERM and waits at most `timeout` seconds for the exit; returns the exit status, or `nil` when the
    /// server had to be killed with SIGKILL. Safe to call again (returns the same status).
    @discardableResult
    public func stop(within timeout: TimeInterval = 30) -> Int32? {
        if exited.wait(timeout: .now()) == .success { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        if exited.wait(timeout: .now() + timeout) == .success { return process.terminationStatus }
        kill(process.processIdentifier, SIGKILL)
        exited.wait()
        return nil
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
