import ArgumentParser
import FieldsyncVersion
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
        version: FieldsyncVersion.line(for: "fieldcli"),
        subcommands: [
            Init.self, Unlock.self, Lock.self, NoteCommand.self, SubjectCommand.self, Search.self, FollowUps.self,
            Export.self, Passwd.self,
            Enroll.self, Sync.self, Status.self, Conflicts.self, Resolve.self, Simulate.self, Verify.self,
            Debug.self, Agent.self,
        ]
    )

    /// Runs the command line, mapping every error to one line on stderr and a documented exit code.
    static func main() async {
        if let typo = unknownSubcommand(in: Array(CommandLine.arguments.dropFirst())) {
            printError("fieldcli: \(typo)")
            Foundation.exit(ExitStatus.usage.rawValue)
        }
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

    /// A mistyped command word (`fieldcli notes add`), said as such with the nearest command, where ArgumentParser
    /// would complain about the first option it cannot place instead.
    static func unknownSubcommand(in arguments: [String]) -> String? {
        var configuration = FieldCLI.configuration
        var path = "fieldcli"
        for word in arguments {
            let subcommands = configuration.subcommands.map {
                (name: commandName(of: $0), configuration: configurationOf($0))
            }
            guard !word.hasPrefix("-"), !subcommands.isEmpty, word != "help" else { return nil }
            guard let next = subcommands.first(where: { $0.name == word }) else {
                if configuration.defaultSubcommand != nil { return nil }
                let names = subcommands.filter(\.configuration.shouldDisplay).map(\.name)
                let nearest = names.min { distance($0, word) < distance($1, word) }
                return Text.unknownCommand(
                    word, path: path,
                    suggestion: nearest.flatMap {
                        distance($0, word) <= 2 ? $0 : nil
                    })
            }
            configuration = next.configuration
            path += " " + word
        }
        return nil
    }

    private static func commandName<C: ParsableCommand>(of type: C.Type) -> String { C._commandName }
    private static func configurationOf<C: ParsableCommand>(_ type: C.Type) -> CommandConfiguration { C.configuration }

    /// Levenshtein distance, for suggestions.
    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }

    /// Errors ArgumentParser knows how to report itself (usage, help, version, exit codes).
    private static func isArgumentParserError(_ error: any Error) -> Bool {
        if error is ValidationError || error is CleanExit || error is ExitCode { return true }
        let typeName = String(reflecting: type(of: error))
        return typeName.hasPrefix("ArgumentParser.")
    }
}
