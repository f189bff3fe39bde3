import CFieldVFS
import Foundation
import LocalStore

#if canImport(Glibc)
import Glibc
#endif

/// The write end of the agent's wake-up pipe, for its signal handler (which may touch nothing else).
nonisolated(unsafe) private var agentWakeDescriptor: Int32 = -1

/// The unlock agent: holds unwrapped store keys for this user in locked memory and hands them to fieldcli
/// commands of the same user over a Unix socket (mode 0600, peers checked with SO_PEERCRED).
///
/// Each key is wiped at its expiry, after its idle timeout, on `fieldcli lock`, and on SIGTERM, SIGINT or
/// SIGHUP; the agent ends when it holds no key. The memory is locked (never swapped), excluded from core dumps,
/// and the process is not dumpable, so another process of the same user cannot read it with ptrace.
final class AgentServer {
    private struct Entry {
        var slot: Int
        var expiresAt: UInt64
        var idle: UInt64
        var lastUse: UInt64
        var idleExpiresAt: UInt64 { min(expiresAt, lastUse + idle) }
    }

    private let listener: Int32
    private let socketPath: String
    private let vault: UnsafeMutableRawPointer
    private let vaultSize = 4096
    private var entries: [String: Entry] = [:]
    /// Whether a key was ever put: once the last one is gone the agent ends.
    private var hadKeys = false
    private var wake: (read: Int32, write: Int32) = (-1, -1)
    /// A new agent waits this long for its first key, then ends.
    private let firstKeyGrace: UInt64 = 30

    /// Binds the socket; fails when another agent already serves it.
    init(socketPath: String) throws {
        self.socketPath = socketPath
        fieldvfs_harden_process()
        guard let memory = mmap(nil, vaultSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            memory != MAP_FAILED
        else { throw CLIError(Text.agentCannotAllocate) }
        vault = memory
        // Keys must never reach swap; where the limit forbids locking, say so rather than run unprotected.
        guard mlock(vault, vaultSize) == 0 else {
            munmap(vault, vaultSize)
            throw CLIError(Text.agentCannotLockMemory(String(cString: strerror(errno))))
        }
        _ = madvise(vault, vaultSize, MADV_DONTDUMP)

        if let existing = AgentConnection.connect(to: socketPath), existing.peerUser == getuid() {
            throw CLIError(Text.agentAlreadyRunning)
        }
        unlink(socketPath)
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let previous = umask(0o177)
        let bound = withSocketAddress(socketPath) { bind(listener, $0, $1) }
        umask(previous)
        guard listener >= 0, bound == 0, listen(listener, 16) == 0 else {
            throw CLIError(Text.agentCannotListen(socketPath, reason: String(cString: strerror(errno))))
        }
        chmod(socketPath, 0o600)
    }

    /// Serves until no key is left (or none came), a lock request, or a terminating signal.
    func run() {
        var pipeEnds: [Int32] = [0, 0]
        _ = pipe(&pipeEnds)
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(pipeEnds[1], F_SETFL, O_NONBLOCK)
        wake = (pipeEnds[0], pipeEnds[1])
        agentWakeDescriptor = wake.write
        for number in [SIGTERM, SIGINT, SIGHUP] {
            signal(number) { _ in
                var byte: UInt8 = 1
                _ = Glibc.write(agentWakeDescriptor, &byte, 1)
            }
        }
        signal(SIGPIPE, SIG_IGN)
        // The thread that runs a command may have signals blocked (Swift's runtime threads do): take them here.
        var terminating = sigset_t()
        sigemptyset(&terminating)
        for number in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&terminating, number) }
        pthread_sigmask(SIG_UNBLOCK, &terminating, nil)
        defer { shutDown() }

        let started = Self.now()
        while true {
            let now = Self.now()
            expire(at: now)
            // No key left (all expired), or none came after the start: nothing to serve.
            if entries.isEmpty && (hadKeys || now >= started + firstKeyGrace) { return }
            let deadline = entries.values.map(\.idleExpiresAt).min() ?? (started + firstKeyGrace)
            // Wake at least once a minute to notice a removed socket.
            let waitMilliseconds = Int32(clamping: min(deadline > now ? deadline - now : 0, 60) * 1000 + 50)
            var fds = [
                pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, waitMilliseconds)
            if ready < 0 && errno != EINTR { return }
            if fds[1].revents != 0 { return }
            // The runtime directory was removed (the user logged out): nobody can reach the agent any more.
            if access(socketPath, F_OK) != 0 { return }
            if fds[0].revents & Int16(POLLIN) != 0 {
                let client = accept(listener, nil, nil)
                if client >= 0, handle(AgentConnection(descriptor: client)) == .stop { return }
            }
        }
    }

    private enum Next { case serve, stop }

    private func handle(_ connection: AgentConnection) -> Next {
        // Only processes of this user; the socket's mode says the same, this makes sure.
        guard connection.peerUser == getuid() else {
            _ = connection.write([AgentWire.Reply.refused.rawValue])
            return .serve
        }
        guard let header = connection.read(7), Array(header[0..<4]) == AgentWire.magic,
            let operation = AgentWire.Operation(rawValue: header[4]),
            let path = connection.read(Int(header[5]) << 8 | Int(header[6])),
            let store = String(validating: path, as: UTF8.self)
        else { return .serve }
        let now = Self.now()
        switch operation {
        case .get:
            guard var entry = entries[store] else {
                _ = connection.write([AgentWire.Reply.notHeld.rawValue])
                return .serve
            }
            entry.lastUse = now
            entries[store] = entry
            _ =
                connection.write([AgentWire.Reply.ok.rawValue])
                && connection.write(UnsafeRawBufferPointer(start: material(entry.slot), count: StoreKey.materialLength))
                && connection.write(AgentWire.bytes(entry.expiresAt))
        case .put:
            let slot = entries[store]?.slot ?? freeSlot()
            guard let slot,
                connection.read(
                    into: UnsafeMutableRawBufferPointer(
                        start: material(slot), count: StoreKey.materialLength)),
                let times = connection.read(16)
            else {
                _ = connection.write([AgentWire.Reply.refused.rawValue])
                return .serve
            }
            let lifetime = AgentWire.integer(times[0..<8])
            let idle = AgentWire.integer(times[8..<16])
            entries[store] = Entry(slot: slot, expiresAt: now + lifetime, idle: idle, lastUse: now)
            hadKeys = true
            _ = connection.write([AgentWire.Reply.ok.rawValue])
        case .status:
            guard let entry = entries[store] else {
                _ = connection.write([AgentWire.Reply.notHeld.rawValue])
                return .serve
            }
            _ = connection.write(
                [AgentWire.Reply.ok.rawValue] + AgentWire.bytes(entry.expiresAt)
                    + AgentWire.bytes(entry.idleExpiresAt))
        case .lock:
            _ = connection.write([AgentWire.Reply.ok.rawValue])
            return .stop
        }
        return .serve
    }

    private func material(_ slot: Int) -> UnsafeMutableRawPointer {
        vault + slot * StoreKey.materialLength
    }

    private func freeSlot() -> Int? {
        let used = Set(entries.values.map(\.slot))
        return (0..<(vaultSize / StoreKey.materialLength)).first { !used.contains($0) }
    }

    private func expire(at now: UInt64) {
        for (store, entry) in entries where entry.idleExpiresAt <= now {
            explicit_bzero(material(entry.slot), StoreKey.materialLength)
            entries[store] = nil
        }
    }

    private func shutDown() {
        explicit_bzero(vault, vaultSize)
        munlock(vault, vaultSize)
        munmap(vault, vaultSize)
        entries.removeAll()
        close(listener)
        unlink(socketPath)
    }

    static func now() -> UInt64 { UInt64(max(0, time(nil))) }
}
