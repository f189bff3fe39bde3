import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The person's text editor (`$VISUAL`, else `$EDITOR`, else `vi`), run on a draft of note text.
///
/// The draft is decrypted note text, so it lives in a private 0700 directory on a RAM-backed file system where
/// there is one (`$XDG_RUNTIME_DIR`, else `/dev/shm`), and that directory is removed on every way out: the editor
/// saving, failing, being interrupted, or fieldcli receiving SIGTERM or SIGHUP (the editor gets the same signal
/// first, so it cannot write after the directory is gone). A draft left by a process killed with SIGKILL is
/// removed by the next editor session. vi, vim and nvim are also told to write no swap, undo, backup or viminfo
/// file, which would otherwise keep copies of the text elsewhere.
///
/// The editor runs in fieldcli's own process group, so it is in the terminal's foreground and can read the
/// terminal; while it runs, fieldcli ignores Ctrl-C and Ctrl-\ the way `system(3)` does, leaving them to the editor.
struct Editor {
    /// The editor's command line as the person wrote it; the shell splits it (`code --wait`, `emacs -nw`).
    var command: String

    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Editor {
        let chosen = [environment["VISUAL"], environment["EDITOR"]].compactMap { $0 }.first { !$0.isEmpty }
        return Editor(command: chosen ?? "vi")
    }

    /// Opens `initial` in the editor and returns the saved text without its trailing newlines.
    ///
    /// - Throws: `CLIError` when the editor fails or is interrupted; nothing of the draft remains then.
    func edit(_ initial: String) throws -> String {
        let draft = try Draft(text: initial)
        defer { draft.remove() }
        let outcome = try run(arguments: privacyArguments + [draft.file.path])
        switch outcome {
        case .exited(0):
            return try draft.read().trimmingCharacters(in: .newlines)
        case .exited(let status):
            throw CLIError(Text.editorFailed(command, status: status))
        case .killed(let signal):
            throw CLIError(Text.editorKilled(signal))
        case .fieldcliSignalled(let signal):
            draft.remove()
            printError("fieldcli: " + Text.interruptedWhileEditing)
            Foundation.exit(128 + signal)
        }
    }

    /// Options that keep vi-family editors from copying the text outside the draft directory.
    var privacyArguments: [String] {
        let program = command.split(separator: " ").first.map { String($0.split(separator: "/").last ?? $0) } ?? ""
        guard ["vi", "vim", "nvim", "view", "vim.basic", "vim.tiny", "vim.nox", "vim.gtk3"].contains(program) else {
            return []
        }
        return ["-n", "-i", "NONE", "-c", "set noundofile nobackup nowritebackup"]
    }

    private enum Outcome {
        case exited(Int32)
        case killed(Int32)
        /// fieldcli itself got SIGTERM or SIGHUP; the editor was sent the same signal and has ended.
        case fieldcliSignalled(Int32)
    }

    /// Runs `sh -c 'COMMAND "$@"'` with `arguments` in the foreground and waits for it.
    private func run(arguments: [String]) throws -> Outcome {
        let forwarded = [SIGTERM, SIGHUP]
        let child = Mutex<pid_t>(0)
        let received = Mutex<Int32>(0)
        let previousInterrupt = signal(SIGINT, SIG_IGN)
        let previousQuit = signal(SIGQUIT, SIG_IGN)
        var sources: [any DispatchSourceSignal] = []
        for number in forwarded {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                received.withLock { $0 = $0 == 0 ? number : $0 }
                let pid = child.withLock { $0 }
                if pid > 0 { kill(pid, number) }
            }
            source.resume()
            sources.append(source)
        }
        defer {
            for source in sources { source.cancel() }
            for number in forwarded { signal(number, SIG_DFL) }
            signal(SIGINT, previousInterrupt)
            signal(SIGQUIT, previousQuit)
        }

        let pid = try spawn(["/bin/sh", "-c", "\(command) \"$@\"", "editor"] + arguments)
        child.withLock { $0 = pid }
        // A signal that came before the pid was known is forwarded now.
        let early = received.withLock { $0 }
        if early != 0 { kill(pid, early) }

        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else {
                throw CLIError(Text.cannotWaitForEditor(String(cString: strerror(errno))))
            }
        }
        child.withLock { $0 = 0 }
        let signalled = received.withLock { $0 }
        if signalled != 0 { return .fieldcliSignalled(signalled) }
        let termination = status & 0x7f
        // A hang-up reaches the editor and fieldcli together; whichever noticed first, the session is over.
        if forwarded.contains(termination) { return .fieldcliSignalled(termination) }
        return termination == 0 ? .exited((status >> 8) & 0xff) : .killed(termination)
    }

    /// Starts a process that inherits the terminal, in fieldcli's process group, with default signal handling.
    private func spawn(_ argv: [String]) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, "/bin/sh", nil, &attributes, cArguments, environ)
        guard code == 0 else {
            throw CLIError(Text.cannotStartEditor(command, reason: String(cString: strerror(code))))
        }
        return pid
    }
}

/// A private directory holding one draft file, on a RAM-backed file system where there is one.
struct Draft {
    let directory: URL
    let file: URL

    /// Writes `text` to a new draft (directory 0700, file 0600).
    init(text: String) throws {
        let root = try RuntimeDirectory.url()
        Self.removeAbandoned(in: root)
        var template = Array(root.appendingPathComponent("fieldcli-edit-\(getpid())-XXXXXX").path.utf8CString)
        guard let created = mkdtemp(&template) else {
            throw CLIError(Text.cannotCreateDraftDirectory(String(cString: strerror(errno))))
        }
        directory = URL(fileURLWithPath: String(cString: created))
        file = directory.appendingPathComponent("note.txt")
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            remove()
            throw CLIError(Text.cannotWriteDraft(reason))
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            remove()
            throw CLIError(Text.draftNotWritten)
        }
    }

    func read() throws -> String {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw CLIError(Text.editorLeftNoFile)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIError(Text.editedNotUTF8, status: .usage)
        }
        return text
    }

    /// Removes the directory and whatever the editor put in it (swap, backup or emergency-save files).
    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Removes drafts whose fieldcli process no longer exists (it was killed with SIGKILL, or the machine lost
    /// power with a persistent temporary directory).
    static func removeAbandoned(in root: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return }
        for name in names where name.hasPrefix("fieldcli-edit-") {
            let parts = name.split(separator: "-")
            guard parts.count == 4, let pid = pid_t(parts[2]) else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH {
                try? FileManager.default.removeItem(at: root.appendingPathComponent(name))
            }
        }
    }
}
