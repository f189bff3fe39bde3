import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A process running in a new session on its own pseudo-terminal, as in a terminal window: the pty is its
/// controlling terminal, and its process group is the terminal's foreground group. The test types into the
/// terminal and reads the screen's bytes.
final class PseudoTerminalProcess: @unchecked Sendable {
    let pid: pid_t
    private let master: Int32
    private let condition = NSCondition()
    private var output = Data()
    private var exitStatus: Int32?

    /// TIOCSPTLCK, TIOCGPTN and POSIX_SPAWN_SETSID (a GNU extension): macros Swift does not import.
    private static let setLock: UInt = 0x4004_5431
    private static let getNumber: UInt = 0x8004_5430
    private static let spawnNewSession: Int16 = 0x80

    /// Starts `executable` with `arguments` and exactly `environment`, its standard streams on the pty's slave.
    init(_ executable: URL, _ arguments: [String], environment: [String: String]) throws {
        // posix_openpt, unlockpt and ptsname, which Swift's Glibc module does not import, are these on Linux.
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, Self.setLock, &unlock) == 0, ioctl(master, Self.getNumber, &number) == 0 else {
            throw PseudoTerminalError("cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let slavePath = "/dev/pts/\(number)"
        var size = winsize(ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new session: the first terminal it opens (the slave, below) becomes its controlling terminal.
        posix_spawnattr_setflags(&attributes, Self.spawnNewSession)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)

        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let code = posix_spawn(&child, executable.path, &actions, &attributes, argv, envp)
        guard code == 0 else {
            Glibc.close(master)
            let reason = String(cString: strerror(code))
            throw PseudoTerminalError("cannot start \(executable.lastPathComponent): \(reason)")
        }
        pid = child
        startReading()
        startWaiting()
    }

    /// Types `text` into the terminal (control characters included: "\u{03}" is Ctrl-C).
    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
    }

    /// Hangs the terminal up, as when its window is closed: the session's foreground group gets SIGHUP, which is
    /// what the kernel sends. (Closing the master here would not do it while the reader thread is in `read`.)
    func hangUp() {
        kill(-pid, SIGHUP)
        kill(-pid, SIGCONT)
    }

    /// Everything the process wrote to the terminal so far, as text.
    var screen: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: output, as: UTF8.self)
    }

    /// Waits until the terminal shows `text`; false at the deadline or when the process ended without it.
    func waitForOutput(_ text: String, timeout: TimeInterval = 30) -> Bool {
        wait(timeout: timeout) { String(decoding: $0.output, as: UTF8.self).contains(text) || $0.exitStatus != nil }
        return screen.contains(text)
    }

    /// Waits for the process to end; its raw wait status, or nil at the deadline (the process is then killed).
    func waitForExit(timeout: TimeInterval = 30) -> Int32? {
        wait(timeout: timeout) { $0.exitStatus != nil }
        condition.lock()
        let status = exitStatus
        condition.unlock()
        if status == nil { kill(pid, SIGKILL) }
        return status
    }

    private func wait(timeout: TimeInterval, until done: (PseudoTerminalProcess) -> Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !done(self), condition.wait(until: deadline) {}
    }

    private func startReading() {
        let descriptor = master
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = Glibc.read(descriptor, &buffer, buffer.count)
                // EIO once every holder of the slave has gone.
                guard count > 0 else { break }
                condition.lock()
                output.append(contentsOf: buffer[0..<count])
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    private func startWaiting() {
        let child = pid
        Thread.detachNewThread { [self] in
            var status: Int32 = 0
            while waitpid(child, &status, 0) == -1 && errno == EINTR {}
            condition.lock()
            exitStatus = status
            condition.broadcast()
            condition.unlock()
        }
    }

    deinit {
        if exitStatus == nil { kill(pid, SIGKILL) }
        Glibc.close(master)
    }
}

struct PseudoTerminalError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// How a wait status reads: the exit code, or 128 + the signal that ended the process (as a shell reports it).
func shellStatus(_ status: Int32) -> Int32 {
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
}
