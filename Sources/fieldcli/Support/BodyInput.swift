import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The text of a note: from `--text`, else standard input when it is not a terminal, else `$EDITOR`.
enum BodyInput {
    static func read(text: String?, initial: String = "", allowStdin: Bool = true) throws -> String {
        if let text { return text }
        if allowStdin, isatty(STDIN_FILENO) == 0 {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard let body = String(data: data, encoding: .utf8) else {
                throw CLIError("the text on standard input is not UTF-8", status: .usage)
            }
            return body.trimmingCharacters(in: .newlines)
        }
        return try edit(initial)
    }

    /// Opens `$EDITOR` (else `$VISUAL`, else `vi`) on a private temporary file and returns what was saved.
    static func edit(_ initial: String) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let editor = environment["EDITOR"] ?? environment["VISUAL"] ?? "vi"
        // The draft holds note text: keep it in a 0700 directory and remove it afterwards.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fieldcli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("note.txt")
        try Data(initial.utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "\(editor) \"$1\"", "editor", file.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CLIError("the editor (\(editor)) exited with status \(process.terminationStatus); nothing saved")
        }
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.trimmingCharacters(in: .newlines)
    }
}
