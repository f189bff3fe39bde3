import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a finished child process left: its exit status and both output streams.
public struct ProcessResult: Sendable {
    /// The command as run (executable name and arguments), for messages.
    public var command: String
    /// The exit status, or the signal number when `signalled`.
    public var status: Int32
    /// Whether a signal ended the process.
    public var signalled: Bool
    public var stdout: String
    public var stderr: String

    /// The lines of standard output.
    public var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// A child process that did not finish before its deadline: it was killed (SIGTERM, then SIGKILL), and this
/// reports what it had written by then.
public struct ProcessTimedOut: Error, CustomStringConvertible {
    public var command: String
    public var timeout: TimeInterval
    /// Set when the process itself exited in time but its output stayed open (a child of it holds the pipe).
    public var outputStayedOpen: Bool
    public var stdout: String
    public var stderr: String

    public var description: String {
        let what = outputStayedOpen ? "exited but its output stayed open for" : "did not finish within"
        return "\(command) \(what) \(Int(timeout)) s and was killed\n"
            + "stdout (end): \(Self.tail(stdout))\nstderr (end): \(Self.tail(stderr))"
    }

    static func tail(_ text: String, lines: Int = 20) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// Runs an executable to completion with a deadline that really fires: both output streams are drained on
/// threads of their own while the caller waits, with a timeout, for the process to exit; a child still running
/// at the deadline is killed and reported (``ProcessTimedOut``) with what it had written.
///
/// ```swift
/// let result = try ProcessRunner().run(BuiltProducts.url("fieldcli"), ["--version"], timeout: 10)
/// #expect(result.status == 0)
/// ```
public struct ProcessRunner: Sendable {
    /// The child's environment; `nil` inherits this process's.
    public var environment: [String: String]?

    public init(environment: [String: String]? = nil) {
        self.environment = environment
    }

    /// Runs `executable` with `arguments`, feeding `stdin` (or nothing: the child reads end of file), with
    /// `extraEnvironment` over the runner's environment, and waits at most `timeout` seconds.
    public func run(
        _ executable: URL, _ arguments: [String], stdin: String? = nil, extraEnvironment: [String: String] = [:],
        timeout: TimeInterval = 60
    ) throws -> ProcessResult {
        let command = Self.commandLine(executable, arguments)
        var childEnvironment: [String: String]?
        if environment != nil || !extraEnvironment.isEmpty {
            childEnvironment = (environment ?? ProcessInfo.processInfo.environment)
                .merging(extraEnvironment) { _, new in new }
        }
        let output = Pipe.closedOnExec()
        let errors = Pipe.closedOnExec()
        let input = stdin.map { _ in Pipe.closedOnExec() }
        let nothing = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(nothing) }
        let process = try ChildProcess(
            executable, arguments, environment: childEnvironment,
            stdin: input?.fileHandleForReading.fileDescriptor ?? nothing,
            stdout: output.fileHandleForWriting.fileDescriptor, stderr: errors.fileHandleForWriting.fileDescriptor)
        // The child holds its ends now: the reader sees the end of the output when the child (and only it) exits.
        try? output.fileHandleForWriting.close()
        try? errors.fileHandleForWriting.close()
        try? input?.fileHandleForReading.close()
        let deadline = DispatchTime.now() + timeout

        // Both pipes drain concurrently, chunk by chunk, so a chatty child cannot block on a full pipe and a
        // killed one still leaves what it wrote.
        let outData = Locked(Data())
        let errData = Locked(Data())
        let drained = DispatchGroup()
        for (pipe, sink) in [(output, outData), (errors, errData)] {
            drained.enter()
            Thread.detachNewThread {
                let handle = pipe.fileHandleForReading
                while case let chunk = handle.availableData, !chunk.isEmpty {
                    sink.mutate { $0.append(chunk) }
                }
                drained.leave()
            }
        }
        if let stdin, let input {
            // On a thread of its own: a child that never reads must not block the deadline.
            Thread.detachNewThread {
                input.fileHandleForWriting.write(Data(stdin.utf8))
                try? input.fileHandleForWriting.close()
            }
        }

        let finished = process.wait(timeout: timeout)
        if !finished { process.terminate() }
        // A child that exits just before the deadline still gets a moment for its output to be read.
        let outputClosed = drained.wait(timeout: finished ? Swift.max(deadline, .now() + 5) : .now() + 5) == .success
        guard finished, outputClosed else {
            throw ProcessTimedOut(
                command: command, timeout: timeout, outputStayedOpen: finished,
                stdout: String(decoding: outData.value, as: UTF8.self),
                stderr: String(decoding: errData.value, as: UTF8.self))
        }
        return ProcessResult(
            command: command, status: process.terminationStatus, signalled: process.terminatedBySignal,
            stdout: String(decoding: outData.value, as: UTF8.self),
            stderr: String(decoding: errData.value, as: UTF8.self))
    }

    /// The command for messages: the executable's name and the arguments, a URL's password (a PostgreSQL
    /// database URL) left out.
    public static func commandLine(_ executable: URL, _ arguments: [String]) -> String {
        let shown = arguments.map { argument -> String in
            guard argument.contains("://"), var components = URLComponents(string: argument),
                components.password != nil
            else { return argument }
            components.password = "***"
            return components.string ?? "(a URL)"
        }
        return ([executable.lastPathComponent] + shown).joined(separator: " ")
    }
}

/// Serializes ``Foundation/Pipe/closedOnExec()``.
private let pipeLock = NSLock()

extension Pipe {
    /// A pipe whose two descriptors are closed in every child this process starts, except where a launch maps
    /// them to the child's standard streams (`dup2` clears the flag).
    ///
    /// Foundation's pipes are inherited by every child started while they are open: a long-running server one
    /// test started while another test's command ran kept that command's output pipe open, so its reader never
    /// saw the end of the output ("exited but its output stayed open"). ``ChildProcess`` also closes every other
    /// descriptor in its children; the flag covers children started any other way.
    public static func closedOnExec() -> Pipe {
        pipeLock.lock()
        defer { pipeLock.unlock() }
        let pipe = Pipe()
        for handle in [pipe.fileHandleForReading, pipe.fileHandleForWriting] {
            let descriptor = handle.fileDescriptor
            _ = fcntl(descriptor, F_SETFD, fcntl(descriptor, F_GETFD) | FD_CLOEXEC)
        }
        return pipe
    }
}

/// Runs blocking work (waiting for a child process, reading its pipes) on a thread of its own, so async tests
/// never hold one of the few cooperative-pool threads while they wait.
public func onOwnThread<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
