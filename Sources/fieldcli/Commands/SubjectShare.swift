import ArgumentParser
import Foundation
import LocalStore

extension SubjectCommand {
    struct Share: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Share a young person's course with another team, with their consent.",
            usage: """
                fieldcli subject share ung-0142 --team jobcentre --consent "the plan for the placement"
                """,
            discussion: """
                Records the consent (the subject's consent log names you, your team, the day, the team and what the \
                young person agreed to) and lets the team read the subject from the next sync. Its notes stay with \
                your team until you share them one by one ('fieldcli note share'). The server accepts only teams \
                your administrator made partners of yours. Needs an enrolled store.
                """
        )

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The subject's reference, or its id or a unique id prefix.") var reference: String
        @Option(help: ArgumentHelp("The team to share with, e.g. jobcentre.", valueName: "team")) var team: String?
        @Option(help: ArgumentHelp("What the young person agreed to share, in a line (required).", valueName: "text"))
        var consent: String?

        func run() throws {
            guard let team, !team.isEmpty else {
                throw CLIError(Text.nameTeamToShare, status: .usage)
            }
            guard let consent, !consent.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw CLIError(Text.sharingNeedsConsent, status: .usage)
            }
            let subject = try storeOptions.withStore {
                try $0.shareSubject(reference: reference, with: team, consent: consent)
            }
            print(Text.shared(Output.clean(subject.reference), team: team))
        }
    }
}
