import Foundation
import LocalStore

#if canImport(Glibc)
import Glibc
#endif

/// Where the passphrase comes from, in order: `--passphrase-file`, `$FIELDCLI_PASSPHRASE`, a no-echo prompt on
/// the terminal. A passphrase is never accepted as a plain argument (it would show in `ps` and shell history).
enum PassphraseReader {
    static let environmentVariable = "FIELDCLI_PASSPHRASE"
    static let newEnvironmentVariable = "FIELDCLI_NEW_PASSPHRASE"

    /// Reads the store's passphrase.
    static func read(file: String?, prompt: String = Text.promptPassphrase) throws -> Passphrase {
        try read(file: file, environment: environmentVariable, prompt: prompt, confirm: false)
    }

    /// Reads a passphrase from a file, the environment or the terminal; `confirm` asks twice on a terminal.
    static func read(file: String?, environment: String, prompt: String, confirm: Bool) throws -> Passphrase {
        if let file {
            var info = stat()
            if stat(file, &info) == 0, info.st_mode & 0o077 != 0 {
                let mode = String(info.st_mode & 0o777, radix: 8)
                throw CLIError(Text.passphraseFileOpen(file, mode: mode), status: .usage)
            }
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CLIError(Text.passphraseFileUnreadable(file), status: .usage)
            }
            var bytes = [UInt8](data)
            // A file written by `echo` ends in a newline that is not part of the passphrase.
            while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
            return try nonEmpty(Passphrase(bytes: bytes))
        }
        if let value = ProcessInfo.processInfo.environment[environment] {
            return try nonEmpty(Passphrase(value))
        }
        guard let tty = Terminal.open() else {
            throw CLIError(Text.noPassphrase(environment), status: .usage)
        }
        defer { tty.close() }
        let first = try nonEmpty(tty.readSecret(prompt: prompt))
        if confirm {
            let second = tty.readSecret(prompt: Text.promptRepeat)
            guard first.matches(second) else { throw CLIError(Text.passphrasesDiffer, status: .usage) }
        }
        return first
    }

    private static func nonEmpty(_ passphrase: Passphrase) throws -> Passphrase {
        guard !passphrase.isEmpty else { throw CLIError(Text.passphraseEmpty, status: .usage) }
        return passphrase
    }
}

/// The controlling terminal, used only when standard input is one.
final class Terminal {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Opens `/dev/tty` when standard input is a terminal; otherwise returns nil.
    static func open() -> Terminal? {
        guard isatty(STDIN_FILENO) == 1 else { return nil }
        let fd = Glibc.open("/dev/tty", O_RDWR | O_CLOEXEC)
        return fd >= 0 ? Terminal(descriptor: fd) : nil
    }

    func close() { _ = Glibc.close(descriptor) }

    /// Prompts and reads one line with echo turned off.
    func readSecret(prompt: String) -> Passphrase {
        write(prompt)
        var saved = termios()
        tcgetattr(descriptor, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(descriptor, TCSAFLUSH, &silent)
        defer {
            tcsetattr(descriptor, TCSAFLUSH, &saved)
            write("\n")
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(descriptor, &byte, 1) == 1, byte != 0x0A, byte != 0x0D {
            bytes.append(byte)
        }
        let passphrase = Passphrase(bytes: bytes)
        for index in bytes.indices { bytes[index] = 0 }
        return passphrase
    }

    /// Prompts and reads one line with echo on; nil at end of input.
    func readLine(prompt: String) -> String? {
        write(prompt)
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = Glibc.read(descriptor, &byte, 1)
            if count != 1 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == 0x0A || byte == 0x0D { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
    }

    /// Writes text to the terminal.
    func say(_ text: String) { write(text) }

    /// Asks a yes/no question; only an answer starting with y or j (Danish "ja") is yes.
    func confirm(_ question: String) -> Bool {
        write(question)
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(descriptor, &byte, 1) == 1, byte != 0x0A, byte != 0x0D {
            bytes.append(byte)
        }
        let answer = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
        return answer.hasPrefix("y") || answer.hasPrefix("j")
    }

    private func write(_ text: String) {
        _ = text.withCString { Glibc.write(descriptor, $0, strlen($0)) }
    }
}
