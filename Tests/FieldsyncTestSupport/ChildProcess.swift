import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawn`, for ``ProcessRunner`` and ``RunningProcess``.
///
/// Not Foundation's `Process`: on Linux its `run()` crashed the test process several times (SIGSEGV in `memmove`,
/// the names of open descriptors around 1,356 in the registers) when the process held more than about 1,350 open
/// descriptors, which a full test run does. Here the child gets exactly its three standard streams (everything
/// else is closed with `closefrom`), the default signal dispositions and an empty signal mask (the test threads
/// block most signals, and a child inherits the mask of the thread that starts it), and a thread of its own waits
/// for its exit.
public final class ChildProcess: @unchecked Sendable {
    /// The child's process id.
    public let pid: pid_t
    private let exit = Locked<(status: Int32, signalled: Bool)?>(nil)
    private let exited = DispatchGroup()

    /// Starts `executable` with `arguments` and the given descriptors as its standard input, output and error;
    /// `environment` replaces this process's when given. The caller keeps (and closes) its descriptors.
    public init(
        _ executable: URL, _ arguments: [String], environment: [String: String]?, stdin: Int32, stdout: Int32,
        stderr: Int32
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (from, to) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] {
            posix_spawn_file_actions_adddup2(&actions, from, to)
        }
        Self.closeFrom3(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var every = sigset_t()
        sigfillset(&every)
        posix_spawnattr_setsigdefault(&attributes, &every)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }

        var spawned: pid_t = 0
        let result = executable.path.withCString { path in
            if let envp {
                return posix_spawn(&spawned, path, &actions, &attributes, argv, envp)
            }
            return posix_spawn(&spawned, path, &actions, &attributes, argv, environ)
        }
        guard result == 0 else {
            throw SpawnFailed(
                command: ProcessRunner.commandLine(executable, arguments), reason: String(cString: strerror(result)))
        }
        let pid = spawned
        self.pid = pid
        exited.enter()
        Thread.detachNewThread { [exit, exited] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            // WIFSIGNALED / WTERMSIG / WEXITSTATUS, spelled out (Swift does not import the macros).
            let signal = status & 0x7f
            exit.mutate { $0 = signal == 0 ? ((status >> 8) & 0xff, false) : (signal, true) }
            exited.leave()
        }
    }

    /// Whether the child has not exited yet.
    public var isRunning: Bool { exit.value == nil }

    /// Waits at most `timeout` seconds for the exit; whether it happened.
    @discardableResult
    public func wait(timeout: TimeInterval) -> Bool {
        exited.wait(timeout: .now() + timeout) == .success
    }

    /// The exit status, or the signal number when ``terminatedBySignal``; -1 while running.
    public var terminationStatus: Int32 { exit.value?.status ?? -1 }

    /// Whether a signal ended the child.
    public var terminatedBySignal: Bool { exit.value?.signalled ?? false }

    /// Sends `signal` while the child runs.
    public func send(_ signal: Int32) {
        guard isRunning else { return }
        kill(pid, signal)
    }

    /// SIGTERM, two seconds to exit, then SIGKILL and up to ten seconds more.
    public func terminate() {
        guard isRunning else { return }
        send(SIGTERM)
        if !wait(timeout: 2) {
            send(SIGKILL)
            wait(timeout: 10)
        }
    }

    /// Closes every descriptor from 3 up in the child (glibc 2.34's `posix_spawn_file_actions_addclosefrom_np`,
    /// looked up at run time: Swift does not import it). Without it, the test support's pipes are still closed on
    /// exec; other descriptors of the test process would leak into the child.
    private static func closeFrom3(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { return }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(actions, 3)
    }

    /// `posix_spawn` refused: the executable is missing or not executable, or the system is out of processes.
    public struct SpawnFailed: Error, CustomStringConvertible {
        public var command: String
        public var reason: String
        public var description: String { "cannot start \(command): \(reason)" }
    }
}
