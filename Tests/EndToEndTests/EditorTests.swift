import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// fieldcli's editor sessions in a real pseudo-terminal: the editor owns the terminal, the store stays free while
/// it runs, and no decrypted draft survives any way out (saving, Ctrl-C, SIGTERM, the terminal hanging up).
@Suite("editor in a terminal", .serialized)
struct EditorTests {
    let home: TemporaryDirectory
    /// `$XDG_RUNTIME_DIR` of the session: where drafts must go, and where nothing may remain.
    let runtime: URL
    let cli: CommandRunner
    let environment: [String: String]

    init() throws {
        home = try TemporaryDirectory("editor")
        runtime = home.url.appendingPathComponent("runtime")
        try FileManager.default.createDirectory(
            at: runtime, withIntermediateDirectories: false,
            attributes: [.posixPermissions: 0o700])
        let editor = home.url.appendingPathComponent("tty-editor")
        try Data(Self.ttyEditor.utf8).write(to: editor)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: editor.path)
        let environment = [
            "PATH": "/usr/bin:/bin", "HOME": home.path, "LANG": "C.UTF-8", "TERM": "xterm",
            "FIELDCLI_HOME": home.url.appendingPathComponent("store").path,
            "FIELDCLI_PASSPHRASE": "a long field passphrase", "XDG_RUNTIME_DIR": runtime.path,
            "VISUAL": editor.path,
        ]
        cli = CommandRunner(environment: environment)
        self.environment = environment
        #expect(try cli.run("fieldcli", ["init", "--kdf-cost", "12"]).status == 0)
        #expect(try cli.run("fieldcli", ["subject", "add", "ung-0142"]).status == 0)
    }

    /// An editor in miniature that uses the terminal as vim does: it switches it to raw mode (which stops a
    /// process outside the foreground group), shows where the draft is, and appends one typed line to it.
    /// With TTY_MODE=cooked it leaves the terminal's line discipline alone, so Ctrl-C sends SIGINT.
    static let ttyEditor = """
        #!/bin/sh
        saved=$(stty -g < /dev/tty)
        [ "$TTY_MODE" = cooked ] || stty raw -echo < /dev/tty
        printf 'EDITOR READY %s\\r\\n' "$1" > /dev/tty
        IFS= read -r line < /dev/tty
        stty "$saved" < /dev/tty
        printf '\\n%s\\n' "$(printf '%s' "$line" | tr -d '\\r')" >> "$1"
        """

    func startFieldcli(_ arguments: [String], extra: [String: String] = [:]) throws -> PseudoTerminalProcess {
        try PseudoTerminalProcess(
            BuiltProducts.url("fieldcli"), arguments, environment: environment.merging(extra) { _, new in new })
    }

    /// The draft path the editor printed, once it shows.
    func waitForEditor(_ terminal: PseudoTerminalProcess) throws -> String {
        try #require(terminal.waitForOutput("/note.txt"), "the editor never showed; screen: \(terminal.screen)")
        let line = terminal.screen.components(separatedBy: "EDITOR READY ").last ?? ""
        return String(line.prefix { !$0.isNewline })
    }

    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: runtime.path)
    }

    func notes() throws -> [[String: Any]] {
        let list = try cli.run("fieldcli", ["note", "list", "--json"])
        #expect(list.status == 0, "\(list.stderr)")
        return try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []
    }

    func addNote(_ text: String) throws -> String {
        let added = try cli.run("fieldcli", ["note", "add", "--subject", "ung-0142", "--kind", "walk", "--text", text])
        #expect(added.status == 0, "\(added.stderr)")
        return added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func theEditorOwnsTheTerminalAndTheStoreStaysFree() throws {
        let terminal = try startFieldcli(["note", "add", "--subject", "ung-0142", "--kind", "walk"])
        let draft = try waitForEditor(terminal)
        #expect(draft.hasPrefix(runtime.path + "/fieldcli-edit-"), "draft at \(draft)")
        let directory = (draft as NSString).deletingLastPathComponent
        let mode = try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        // Another command runs while the editor is open: the store is not held.
        let list = try cli.run("fieldcli", ["note", "list"])
        #expect(list.status == 0, "the store was held during the edit: \(list.stderr)")

        terminal.type("Walked past the technical college\n")
        let status = try #require(terminal.waitForExit(), "fieldcli did not finish; screen: \(terminal.screen)")
        #expect(shellStatus(status) == 0, "screen: \(terminal.screen)")
        #expect(try notes().map { $0["body"] as? String } == ["Walked past the technical college"])
        #expect(try leftovers().isEmpty)
    }

    @Test func ctrlCInTheEditorSavesNothingAndLeavesNothing() throws {
        let terminal = try startFieldcli(
            ["note", "add", "--subject", "ung-0142", "--kind", "walk"],
            extra: ["TTY_MODE": "cooked"])
        _ = try waitForEditor(terminal)
        terminal.type("half a sentence about her fam")
        terminal.type("\u{03}")
        let status = try #require(terminal.waitForExit(), "fieldcli did not finish; screen: \(terminal.screen)")
        #expect(shellStatus(status) == 1, "screen: \(terminal.screen)")
        #expect(terminal.screen.contains("nothing saved"))
        #expect(try notes().isEmpty)
        #expect(try leftovers().isEmpty)
    }

    @Test(arguments: [SIGHUP, SIGTERM])
    func aSignalToFieldcliRemovesTheDraft(signal: Int32) throws {
        let id = try addNote("Called her mother")
        let terminal = try startFieldcli(["note", "edit", String(id.prefix(8))])
        let draft = try waitForEditor(terminal)
        #expect(FileManager.default.fileExists(atPath: draft))
        if signal == SIGHUP {
            terminal.hangUp()
        } else {
            kill(terminal.pid, signal)
        }
        let status = try #require(terminal.waitForExit(), "fieldcli did not finish; screen: \(terminal.screen)")
        #expect(shellStatus(status) == 128 + signal, "screen: \(terminal.screen)")
        #expect(try leftovers().isEmpty)
        #expect(try notes().map { $0["body"] as? String } == ["Called her mother"])
    }

    @Test func aChangeThatCameInDuringTheEditIsMergedNotOverwritten() throws {
        let id = try addNote("line one\nline two\nline three")
        let terminal = try startFieldcli(["note", "edit", String(id.prefix(8))])
        _ = try waitForEditor(terminal)
        // Meanwhile (a sync in another terminal, say) the first line changes.
        let other = try cli.run("fieldcli", ["note", "edit", id, "--text", "LINE ONE\nline two\nline three"])
        #expect(other.status == 0, "\(other.stderr)")
        terminal.type("line four\n")
        let status = try #require(terminal.waitForExit(), "fieldcli did not finish; screen: \(terminal.screen)")
        #expect(shellStatus(status) == 0, "screen: \(terminal.screen)")
        #expect(try notes().map { $0["body"] as? String } == ["LINE ONE\nline two\nline three\nline four"])
        #expect(try leftovers().isEmpty)
    }

    /// vim itself: it must come up in the terminal, save, and leave no swap, undo or viminfo file behind.
    @Test func vimEditsANote() throws {
        let vim = ["/usr/bin/vim", "/usr/bin/vim.basic", "/usr/bin/vim.tiny"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        let path = try #require(vim, "vim is not installed (scripts/setup.sh installs it)")
        let id = try addNote("Met at the harbour")
        let terminal = try startFieldcli(["note", "edit", String(id.prefix(8))], extra: ["VISUAL": path])
        try #require(terminal.waitForOutput("note.txt"), "vim never showed the draft; screen: \(terminal.screen)")
        terminal.type(":%s/harbour/station/\r:wq\r")
        let status = try #require(terminal.waitForExit(), "vim did not finish; screen: \(terminal.screen)")
        #expect(shellStatus(status) == 0, "screen: \(terminal.screen)")
        #expect(try notes().map { $0["body"] as? String } == ["Met at the station"])
        #expect(try leftovers().isEmpty)
        let home = try FileManager.default.contentsOfDirectory(atPath: home.path)
        #expect(!home.contains(".viminfo"))
    }
}
