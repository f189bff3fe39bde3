import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process whose standard output is collected while it runs, for tests that act in the middle of its
/// work (kill a writer once it has acknowledged some commits). Its output is read on a thread of its own, so a
/// wait on it always ends at its deadline, however silent the child.
///
/// ```swift
/// let writer = try RunningProcess(BuiltProducts.url("vfs-torture"), [directory, "wal", "30"])
/// writer.wait(within: 10) { $0.lineCount >= 20 }
/// writer.kill()
/// ```
public final class RunningProcess: @unchecked Sendable {
    /// The child.
    public let child: ChildProcess
    private let collected = Locked(Data())
    private let drained = DispatchGroup()

    /// Starts `executable` with `arguments`; `environment` replaces the inherited one when given, standard error
    /// goes to `stderr`, standard input reads end of file.
    public init(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
        stderr: FileHandle = .nullDevice
    ) throws {
        let output = Pipe.closedOnExec()
        let nothing = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(nothing) }
        // FileHandle.nullDevice has no descriptor of its own (-1).
        let errors = stderr.fileDescriptor >= 0 ? stderr.fileDescriptor : nothing
        child = try ChildProcess(
            executable, arguments, environment: environment, stdin: nothing,
            stdout: output.fileHandleForWriting.fileDescriptor, stderr: errors)
        try? output.fileHandleForWriting.close()
        drained.enter()
        Thread.detachNewThread { [collected, drained] in
            let handle = output.fileHandleForReading
            while case let chunk = handle.availableData, !chunk.isEmpty {
                collected.mutate { $0.append(chunk) }
            }
            drained.leave()
        }
    }

    /// The child's process id.
    public var pid: Int32 { child.pid }

    /// Whether a signal ended it (after it exited).
    public var terminatedBySignal: Bool { child.terminatedBySignal }

    /// What it has written to standard output so far.
    public var output: Output { Output(data: collected.value) }

    public var isRunning: Bool { child.isRunning }

    /// Waits until `condition` holds for the output so far, the process exits, or `timeout` seconds pass
    /// (checking every 10 ms); returns whether the condition held.
    @discardableResult
    public func wait(within timeout: TimeInterval, until condition: (Output) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition(output) {
            guard child.isRunning, Date() < deadline else { return condition(output) }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return true
    }

    /// Sends `signal` (SIGKILL unless told) and waits for the exit and the end of its output (at most 10 s each).
    public func kill(_ signal: Int32 = SIGKILL) {
        child.send(signal)
        child.wait(timeout: 10)
        _ = drained.wait(timeout: .now() + 10)
    }

    /// Sends SIGTERM and waits at most `timeout` seconds for the exit; returns the exit status, or `nil` when it
    /// had to be killed with SIGKILL. Safe to call again (returns the same status).
    @discardableResult
    public func stop(within timeout: TimeInterval) -> Int32? {
        if !child.isRunning { return child.terminationStatus }
        child.send(SIGTERM)
        if child.wait(timeout: timeout) { return child.terminationStatus }
        kill(SIGKILL)
        return nil
    }

    /// Standard output as collected: bytes, text and the number of complete lines.
    public struct Output: Sendable {
        public var data: Data
        public var text: String { String(decoding: data, as: UTF8.self) }
        public var lineCount: Int { data.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 } }
    }

    deinit {
        if child.isRunning { kill() }
    }
}
