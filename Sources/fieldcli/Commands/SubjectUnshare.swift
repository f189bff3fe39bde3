import ArgumentParser
import Foundation
import LocalStore

extension SubjectCommand {
    struct Unshare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop sharing a young person's course with a team (consent withdrawn).",
            usage: "fieldcli subject unshare ung-0142 --team jobcentre",
            discussion: """
                Removes the team from the subject's readers and its consent, and logs the withdrawal. The notes you \
                shared with that team go with it. After your next sync, the team's devices drop the subject and \
                those notes at their next sync.
                """
        )

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The subject's reference, or its id or a unique id prefix.") var reference: String
        @Option(help: ArgumentHelp("The team that stops reading the subject.", valueName: "team")) var team: String?

        func run() throws {
            guard let team, !team.isEmpty else {
                throw CLIError(Text.nameTeamToUnshare, status: .usage)
            }
            let subject = try storeOptions.withStore { try $0.unshareSubject(reference: reference, from: team) }
            print(Text.unshared(Output.clean(subject.reference), team: team))
        }
    }
}
