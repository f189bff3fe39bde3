import ArgumentParser
import Foundation
import LocalStore

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search notes by text, tags, place and subject.",
        discussion: "Words are matched by prefix: 'hous' finds 'housing'. Quote a phrase to match it exactly."
    )

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: JSONOption
    @Argument(help: "What to look for.") var query: String
    @Option(help: "At most this many hits.") var limit: Int = 50

    func run() throws {
        let hits = try storeOptions.withStore { try $0.search(query, limit: limit) }
        if output.json {
            try Output.json(hits)
        } else if hits.isEmpty {
            print(Text.nothingFound)
        } else {
            Output.table(
                Column.titles([.id, .when, .subject, .kind, .match]),
                hits.map {
                    [
                        String($0.note.id.prefix(8)), DateParsing.display($0.note.occurredAt),
                        $0.note.subjectReference, $0.note.kind.rawValue, $0.excerpt,
                    ]
                })
        }
    }
}

struct FollowUps: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "followups",
        abstract: "List follow-ups that are due or overdue, or mark one done.",
        discussion: """
            A follow-up stays until someone marks it done ('fieldcli followups done ID', or a note added with
            --closes ID); marking it done syncs like any edit. A young person handed over to you
            ('fieldcli subject handover') is listed at once, marked HANDOVER, until you write a note about them.
            """,
        subcommands: [List.self, Done.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List open follow-ups: overdue and due soon.")

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: JSONOption
        @Option(help: "Also list follow-ups due within this many days.") var within: Int = 0
        @Flag(help: "List every open follow-up, whenever it is due.") var all = false

        func run() throws {
            // Subjects handed over to you come first, due at once: one line each, HANDOVER in the OVERDUE column,
            // until you write a note about them.
            let due = try storeOptions.withStore {
                try $0.handoversToMe() + $0.followUps(asOf: Date(), withinDays: within, all: all)
            }
            if output.json {
                try Output.json(due)
            } else if due.isEmpty {
                print(all ? Text.noOpenFollowUps : Text.noFollowUpsDue)
            } else {
                Output.table(
                    Column.titles([.due, .overdue, .subject, .note, .author, .text]),
                    due.map {
                        [
                            DateParsing.displayDay($0.due),
                            $0.handover ? Text.handoverMark : $0.daysOverdue > 0 ? Text.daysShort($0.daysOverdue) : "-",
                            $0.note.subjectReference, String($0.note.id.prefix(8)), $0.note.author,
                            Output.summary($0.note.body, width: 44),
                        ]
                    })
                print(Text.markDoneHint)
                if due.contains(where: \.handover) {
                    print(Text.handoverStaysHint)
                }
            }
        }
    }

    struct Done: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a note's follow-up done.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The note's id or a unique prefix of it.") var id: String

        func run() throws {
            let note = try storeOptions.withStore { try $0.markFollowUpDone(noteID: id) }
            print(Text.followUpDone(String(note.id.prefix(8)), subject: Output.clean(note.subjectReference)))
        }
    }
}
