import Foundation
import Testing

/// `--version` on both executables: the command's name and one shared release number (the packages' version).
@Suite("--version")
struct VersionTests {
    let runner = CommandRunner()

    /// The number after `NAME ` on the only line of `NAME --version`, checked to look like `MAJOR.MINOR.PATCH`.
    func version(of executable: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String? {
        let result = try runner.run(executable, ["--version"], timeout: 30)
        #expect(result.status == 0, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        let lines = result.lines
        #expect(lines.count == 1, "stdout: \(result.stdout)", sourceLocation: sourceLocation)
        guard let line = lines.first, line.hasPrefix(executable + " ") else {
            Issue.record("'\(executable) --version' printed '\(result.stdout)'", sourceLocation: sourceLocation)
            return nil
        }
        let number = String(line.dropFirst(executable.count + 1))
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        #expect(
            parts.count == 3 && parts.allSatisfy { Int($0) != nil }, "version '\(number)'",
            sourceLocation: sourceLocation)
        return number
    }

    @Test func bothExecutablesPrintTheSameVersion() throws {
        let client = try version(of: "fieldcli")
        let server = try version(of: "sync-server")
        #expect(client != nil && client == server)
    }
}
