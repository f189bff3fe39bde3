import ArgumentParser
import Foundation

/// `fieldcli`: write notes offline into an encrypted store, and sync them with the team's server.
@main
struct FieldCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fieldcli",
        abstract: "Write notes about the young people you follow, offline, in an encrypted store.",
        discussion: """
            The store is a directory (--store, else $FIELDCLI_HOME, else ~/.fieldcli). Its passphrase comes from
            --passphrase-file, else $FIELDCLI_PASSPHRASE, else a prompt on the terminal; never from an argument.
            Ids can be abbreviated to any unique prefix.

            \(ExitStatus.documentation)
            """,
        version: "0.1.0",
        subcommands: [
            Init.self, Unlock.self, Lock.self, NoteCommand.self, SubjectCommand.self, Search.self, FollowUps.self,
            Export.self, Passwd.self,
            Enroll.self, Sync.self, Status.self, Conflicts.self, Resolve.self, Simulate.self, Verify.self,
            Debug.self, Agent.self,
        ]
    )

    /// Runs the command line, mapping every error to one line on stderr and a documented exit code.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            printError("fieldcli: \(error.message)")
            Foundation.exit(error.status.rawValue)
        } catch {
            if isArgumentParserError(error) {
                exit(withError: error)
            }
            let mapped = CLIError.from(error)
            printError("fieldcli: \(mapped.message)")
            Foundation.exit(mapped.status.rawValue)
        }
    }

    /// Errors ArgumentParser knows how to report itself (usage, help, version, exit codes).
    private static func isArgumentParserError(_ error: any Error) -> Bool {
        if error is ValidationError || error is CleanExit || error is ExitCode { return true }
        let typeName = String(reflecting: type(of: error))
        return typeName.hasPrefix("ArgumentParser.")
    }
}
