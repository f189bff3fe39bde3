import Foundation
import Synchronization

/// The `sync-server` executable, run as a child process.
struct ServerProcess {
    let process: Process
    /// The base URL printed by `serve` once it listens.
    let baseURL: String

    /// The built `sync-server` next to the test bundle (SwiftPM builds every product before testing).
    static var executable: URL {
        get throws {
            let testBinary = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
            var directory = testBinary.deletingLastPathComponent()
            // On Linux the tests run from `.build/<config>/X.xctest`; elsewhere from inside a bundle.
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("sync-server")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                directory.deleteLastPathComponent()
            }
            throw TestSetupError("sync-server is not built next to \(testBinary.path); run `swift build` first")
        }
    }

    /// Runs `sync-server` with `arguments` to completion and returns its standard output.
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = try executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestSetupError(
                "sync-server \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Starts `sync-server serve --listen 127.0.0.1:0` and waits (at most 30 s) for its listening line.
    static func start(environment: [String: String]) async throws -> ServerProcess {
        let process = Process()
        process.executableURL = try executable
        process.arguments = ["serve", "--listen", "127.0.0.1:0"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = output.fileHandleForReading
        let line = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                // Blocking reads, off the cooperative pool.
                await withCheckedContinuation { continuation in
                    Thread.detachNewThread {
                        var buffer = Data()
                        while !buffer.contains(UInt8(ascii: "\n")) {
                            let chunk = handle.availableData
                            if chunk.isEmpty { break }
                            buffer.append(chunk)
                        }
                        continuation.resume(returning: String(decoding: buffer, as: UTF8.self))
                    }
                }
            }
            group.addTask {
                // The deadline for the first line (a loaded CI machine starting PostgreSQL-backed servers in
                // parallel has taken more than 30 s).
                try await Task.sleep(for: .seconds(90))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let line, let range = line.range(of: "listening on ") else {
            process.terminate()
            throw TestSetupError("sync-server did not report its address: \(line ?? "timeout")")
        }
        let url = line[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        return ServerProcess(process: process, baseURL: url)
    }

    /// Sends SIGTERM and waits (at most 15 s) for the exit; returns the exit status.
    func stop() async throws -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<150 where process.isRunning {
            try await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            throw TestSetupError("sync-server did not stop within 15 s of SIGTERM")
        }
        return process.terminationStatus
    }
}
