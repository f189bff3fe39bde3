import ArgumentParser
import Foundation
import LocalStore

#if canImport(Glibc)
import Glibc
#endif

/// A span of time written as `8h`, `30m`, `90s` or `2d`.
struct Span: ExpressibleByArgument {
    var seconds: UInt64

    init?(argument: String) {
        guard let unit = argument.last, let count = UInt64(argument.dropLast()), count > 0 else { return nil }
        switch unit {
        case "s": seconds = count
        case "m": seconds = count * 60
        case "h": seconds = count * 3_600
        case "d": seconds = count * 86_400
        default: return nil
        }
    }

    static var defaultCompletionKind: CompletionKind { .list(["30m", "1h", "4h", "8h"]) }
}

struct Unlock: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Unlock the store once, for a working day: later commands ask for no passphrase.",
        discussion: """
            Asks for the passphrase (or takes it from --passphrase-file or $FIELDCLI_PASSPHRASE) and hands the
            store's key to a small agent of yours, which holds it in locked memory and gives it only to your own
            fieldcli commands, over a socket in $XDG_RUNTIME_DIR. The key is wiped after --for, after --idle
            without use, on 'fieldcli lock', and when you log out. Commands fall back to the passphrase whenever
            the agent does not hold the key.
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Option(name: .customLong("for"), help: "How long the store stays unlocked (e.g. 8h, 30m).")
    var lifetime = Span(argument: "8h")!
    @Option(help: "Lock again after this long without use.")
    var idle = Span(argument: "30m")!

    func run() throws {
        let key = try LocalStore.unlock(
            at: storeOptions.directory, passphrase: PassphraseReader.read(file: storeOptions.passphraseFile))
        let socketPath = try AgentWire.socketPath(create: true)
        let client = AgentClient(socketPath: socketPath)
        if client.status(for: storeOptions.directory) == nil, !client.isRunning {
            try AgentLauncher.start(socketPath: socketPath)
        }
        try client.put(key, lifetime: lifetime.seconds, idle: idle.seconds)
        key.wipe()
        let until = Date().addingTimeInterval(Double(lifetime.seconds))
        print(Text.unlocked(until: DateParsing.display(until), idleMinutes: idle.seconds / 60))
    }
}

struct Lock: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wipe the unlocked key now: the next command asks for the passphrase again.")

    func run() throws {
        guard let client = AgentClient.local(), client.lock() else {
            print(Text.notUnlocked)
            return
        }
        print(Text.locked)
    }
}

/// `fieldcli agent`: the unlock agent itself, started by `fieldcli unlock`.
struct Agent: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the unlock agent (started by 'fieldcli unlock').", shouldDisplay: false)

    @Option(help: "The socket to listen on.") var socket: String
    @Option(help: "A file descriptor to write one byte to once the socket listens.") var readyFd: Int32?

    func run() throws {
        let server = try AgentServer(socketPath: socket)
        if let readyFd {
            var ready: UInt8 = 1
            _ = write(readyFd, &ready, 1)
            close(readyFd)
        }
        server.run()
    }
}

/// Starts the agent as a process of its own session, detached from the terminal.
enum AgentLauncher {
    static func start(socketPath: String) throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw CLIError(Text.agentCannotStart) }
        defer { close(ends[0]) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID (a GNU extension Swift does not import): a session of its own, no terminal.
        posix_spawnattr_setflags(&attributes, 0x80)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Nothing else of this process goes with it: a pipe held by a long-lived agent would keep, say,
        // `fieldcli unlock | tee log` from ever ending.
        for descriptor in inheritedDescriptors() where descriptor != ends[1] {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }

        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        let words: [String] = [executable, "agent", "--socket", socketPath, "--ready-fd", "\(ends[1])"]
        let argv = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(ends[1])
        guard code == 0 else {
            throw CLIError(Text.agentCannotStart(String(cString: strerror(code))))
        }
        // The agent writes one byte once it listens, or closes the pipe when it cannot.
        var byte: UInt8 = 0
        var pollEntry = pollfd(fd: ends[0], events: Int16(POLLIN), revents: 0)
        guard poll(&pollEntry, 1, 5_000) == 1, read(ends[0], &byte, 1) == 1 else {
            throw CLIError(Text.agentDidNotStart)
        }
    }

    /// Open descriptors above 2 that a child would inherit (those without close-on-exec).
    private static func inheritedDescriptors() -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap(Int32.init).filter { descriptor in
            descriptor > 2 && fcntl(descriptor, F_GETFD) >= 0 && fcntl(descriptor, F_GETFD) & FD_CLOEXEC == 0
        }
    }
}
