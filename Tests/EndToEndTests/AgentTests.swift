import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `fieldcli unlock`: the passphrase once, then commands without it, until lock, expiry or idle time.
@Suite("unlock agent", .serialized)
struct AgentTests {
    let home: TemporaryDirectory
    let runtime: URL
    /// A runner with no passphrase anywhere: a command works only if the agent holds the key.
    let cli: CommandRunner
    let passphrase = ["FIELDCLI_PASSPHRASE": "a long field passphrase"]

    init() throws {
        home = try TemporaryDirectory("agent")
        runtime = home.url.appendingPathComponent("runtime")
        try FileManager.default.createDirectory(
            at: runtime, withIntermediateDirectories: false,
            attributes: [.posixPermissions: 0o700])
        cli = CommandRunner(environment: [
            "FIELDCLI_HOME": home.url.appendingPathComponent("store").path, "XDG_RUNTIME_DIR": runtime.path,
        ])
        #expect(try cli.run("fieldcli", ["init", "--kdf-cost", "12"], extraEnvironment: passphrase).status == 0)
        #expect(try cli.run("fieldcli", ["subject", "add", "ung-0142"], extraEnvironment: passphrase).status == 0)
    }

    var socket: String { runtime.appendingPathComponent("fieldcli-agent/agent.sock").path }

    func addNote(_ text: String) throws -> CommandResult {
        try cli.run("fieldcli", ["note", "add", "--subject", "ung-0142", "--kind", "sms", "--text", text])
    }

    /// Runs `status` until `done` holds for its output, or the deadline passes.
    func waitForStatus(timeout: TimeInterval = 20, _ done: (String) -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if done(try cli.run("fieldcli", ["status"], extraEnvironment: passphrase).stdout) { return true }
        } while Date() < deadline
        return false
    }

    @Test func unlockOnceThenCommandsNeedNoPassphraseUntilLock() throws {
        defer { _ = try? cli.run("fieldcli", ["lock"]) }
        #expect(try addNote("before unlock").status == 64)
        let unlock = try cli.run("fieldcli", ["unlock", "--for", "1h"], extraEnvironment: passphrase)
        #expect(unlock.status == 0, "\(unlock.stderr)")
        #expect(unlock.stdout.contains("Unlocked until"))
        let mode = try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        #expect(try addNote("while unlocked").status == 0)
        let status = try cli.run("fieldcli", ["status"])
        #expect(status.status == 0)
        #expect(status.stdout.contains("Unlocked until"))

        // The data key survives a passphrase change, and so does the agent's copy.
        let passwd = try cli.run(
            "fieldcli", ["passwd"],
            extraEnvironment: passphrase.merging(
                ["FIELDCLI_NEW_PASSPHRASE": "another long passphrase"]) { _, new in new })
        #expect(passwd.status == 0, "\(passwd.stderr)")
        #expect(try addNote("after passwd").status == 0)

        let lock = try cli.run("fieldcli", ["lock"])
        #expect(lock.stdout.contains("Locked."))
        let after = try addNote("after lock")
        #expect(after.status == 64)
        #expect(after.stderr.contains("no passphrase"))
        #expect(!FileManager.default.fileExists(atPath: socket), "the agent left its socket")
    }

    @Test func theKeyIsWipedAfterTheIdleTimeout() throws {
        defer { _ = try? cli.run("fieldcli", ["lock"]) }
        let unlock = try cli.run("fieldcli", ["unlock", "--idle", "1s"], extraEnvironment: passphrase)
        #expect(unlock.status == 0, "\(unlock.stderr)")
        #expect(try waitForStatus { $0.contains("Unlocked          no") }, "the key outlived its idle timeout")
        #expect(try addNote("after idle").status == 64)
        #expect(try waitForStatus { _ in !FileManager.default.fileExists(atPath: socket) }, "the agent did not end")
    }

    @Test func aKeyForAnotherStoreAtTheSamePlaceIsNotUsed() throws {
        #expect(try cli.run("fieldcli", ["unlock"], extraEnvironment: passphrase).status == 0)
        defer { _ = try? cli.run("fieldcli", ["lock"]) }
        // The store is replaced by a new one (a new data key and database id) under a new passphrase.
        try FileManager.default.removeItem(at: home.url.appendingPathComponent("store"))
        let other = ["FIELDCLI_PASSPHRASE": "the other store's passphrase"]
        #expect(try cli.run("fieldcli", ["init", "--kdf-cost", "12"], extraEnvironment: other).status == 0)
        let list = try cli.run("fieldcli", ["subject", "list"])
        #expect(list.status == 64, "the stale key was used: \(list.stdout) \(list.stderr)")
        #expect(try cli.run("fieldcli", ["subject", "list"], extraEnvironment: other).status == 0)
    }

    /// Another user who can reach the socket (its folder and mode opened up here on purpose) gets nothing:
    /// the agent checks the peer's user id itself.
    @Test func anotherUserIsRefused() throws {
        try #require(getuid() == 0, "needs root to run a client as another user (CI runs as root)")
        #expect(try cli.run("fieldcli", ["unlock"], extraEnvironment: passphrase).status == 0)
        defer { _ = try? cli.run("fieldcli", ["lock"]) }
        for path in [home.path, runtime.path, (socket as NSString).deletingLastPathComponent] {
            chmod(path, 0o755)
        }
        chmod(socket, 0o666)
        let store = home.url.appendingPathComponent("store").standardizedFileURL.resolvingSymlinksInPath().path
        // A raw client: asks for the key with the agent's own request format.
        let client = """
            import socket, struct, sys
            s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
            path = sys.argv[2].encode()
            try:
                s.sendall(b"FCA1" + bytes([1]) + struct.pack(">H", len(path)) + path)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the agent may answer and close before reading a stranger's request
            reply = s.recv(100)
            print("reply", reply[:1].hex() if reply else "none", len(reply))
            """
        let stranger = try ProcessRunner().run(
            URL(fileURLWithPath: "/usr/bin/setpriv"),
            ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", client, socket, store],
            timeout: 30)
        let (printed, complaint) = (stranger.stdout, stranger.stderr)
        #expect(stranger.status == 0, "\(complaint)")
        #expect(printed.contains("reply 02 1"), "another user got: \(printed)")
        // While the socket's folder is open to others, the owner's commands do not trust it either...
        #expect(try addNote("through an open folder").status == 64)
        // ...and once it is private again, they get the key.
        chmod((socket as NSString).deletingLastPathComponent, 0o700)
        chmod(runtime.path, 0o700)
        #expect(try addNote("still unlocked for its owner").status == 0)
    }
}
