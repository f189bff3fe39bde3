import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real `sync-server serve` process on a loopback port the kernel picks, stopped with SIGTERM.
final class ServerProcess: @unchecked Sendable {
    let process: Process
    /// The base URL the server printed.
    let url: String
    let logURL: URL

    /// Starts the server with rate limits far above what the load needs (the benchmark measures the server's
    /// work, not its refusals), and waits up to `timeout` for its "listening on" line.
    init(executable: URL, database: String, logURL: URL, timeout: TimeInterval = 60) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = [
            "serve", "--database", database, "--listen", "127.0.0.1:0", "--log-level", "error",
            "--rate-burst", "100000", "--rate-per-second", "100000",
            // Every simulated device enrols from 127.0.0.1, which the per-address limit would throttle.
            "--anonymous-rate-burst", "100000", "--anonymous-rate-per-second", "100000",
        ]
        let output = Pipe()
        process.standardOutput = output
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        self.process = process
        self.logURL = logURL

        // Read on another thread so a server that hangs before printing cannot hang the benchmark.
        let found = LockedValue<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let handle = output.fileHandleForReading
        DispatchQueue.global().async {
            var seen = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                seen.append(chunk)
                let text = String(decoding: seen, as: UTF8.self)
                if let range = text.range(of: #"http://[0-9.:]+"#, options: .regularExpression) {
                    found.set(String(text[range]))
                    break
                }
            }
            done.signal()
        }
        guard done.wait(timeout: .now() + timeout) == .success, let url = found.get() else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            throw BenchError("sync-server did not start (\(database)); its log:\n\(Self.tail(of: logURL))")
        }
        self.url = url
    }

    var pid: Int32 { process.processIdentifier }

    /// Sends SIGTERM and waits (at most `timeout`, then SIGKILL); returns the exit status.
    @discardableResult
    func stop(timeout: TimeInterval = 30) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -1
        }
        return process.terminationStatus
    }

    /// The last lines of a log file, for error messages.
    static func tail(of url: URL, lines: Int = 20) -> String {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    deinit { stop() }
}

/// Runs `sync-server admin --database URL ...` commands, each a short process of its own.
struct AdminCommand: Sendable {
    let executable: URL
    let database: String

    /// Runs one admin command and returns its standard output; a failure carries the command and its stderr.
    func run(_ arguments: [String]) async throws -> String {
        let executable = self.executable
        let full = ["admin", "--database", database, "--log-level", "error"] + arguments
        return try await withCheckedThrowingContinuation { continuation in
            // Process waits block a thread: keep them off the concurrency pool's few threads.
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Self.runBlocking(executable, full) })
            }
        }
    }

    private static func runBlocking(_ executable: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // The admin commands print a line or two, far below a pipe's buffer, so reading one pipe after the
        // other cannot deadlock.
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let shown = arguments.filter { !$0.hasPrefix("postgres") }.joined(separator: " ")
            throw BenchError(
                "sync-server \(shown) exited with \(process.terminationStatus): "
                    + String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A value shared between threads behind a lock.
final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func get() -> Value { lock.withLock { value } }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
    func withValue(_ change: (inout Value) -> Void) { lock.withLock { change(&value) } }
}
