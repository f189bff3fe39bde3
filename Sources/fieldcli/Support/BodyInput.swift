import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The text of a note: from `--text`, else standard input when it is not a terminal, else the editor.
enum BodyInput {
    static func read(text: String?, initial: String = "") throws -> String {
        if let text { return text }
        if isatty(STDIN_FILENO) == 0 {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard let body = String(data: data, encoding: .utf8) else {
                throw CLIError(Text.textNotUTF8, status: .usage)
            }
            return body.trimmingCharacters(in: .newlines)
        }
        return try Editor.fromEnvironment().edit(initial)
    }
}
