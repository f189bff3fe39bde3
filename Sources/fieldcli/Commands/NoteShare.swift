import ArgumentParser
import Foundation
import LocalStore

extension NoteCommand {
    struct Share: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Share one note with a team that reads its subject.",
            usage: "fieldcli note share 3f2a91c0 --team jobcentre",
            discussion: """
                Only teams the subject is shared with (with the young person's consent, 'fieldcli subject share') \
                can read a note; pass on as little history as the next step needs. When the subject stops being \
                shared with the team, the note stops too.
                """
        )

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The note's id or a unique prefix of it.") var id: String
        @Option(help: ArgumentHelp("The team to share the note with.", valueName: "team")) var team: String?

        func run() throws {
            guard let team, !team.isEmpty else {
                throw CLIError(Text.nameTeamForNote, status: .usage)
            }
            let (noteID, scope) = try storeOptions.withStore { store in
                let scope = try store.shareNote(id: id, with: team)
                return (try store.note(id: id).id, scope)
            }
            print(Text.sharedNote(String(noteID.prefix(8)), team: team, readers: scope.joined(separator: ", ")))
        }
    }
}
