import ArgumentParser
import Foundation
import LocalStore

struct Conflicts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List notes and subjects with concurrent changes that only a person can settle.",
        discussion: """
            Concurrent edits of different fields, tags, and non-overlapping text edits merge by themselves. What is
            listed here kept every value: settle it with 'fieldcli resolve ID'.
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let conflicts = try storeOptions.withStore { try $0.conflicts() }
        if output.json {
            try Output.json(conflicts)
            return
        }
        guard !conflicts.isEmpty else {
            print(Text.noConflicts)
            return
        }
        for conflict in conflicts {
            printConflict(conflict)
            print("")
        }
        let example = conflicts[0]
        let field = example.fields.count > 1 ? " --field \(displayName(ofField: example.fields[0].field))" : ""
        print(Text.settleHint("fieldcli resolve \(example.id.prefix(8))\(field) --keep 1"))
    }
}

extension ConflictCandidate {
    /// Who wrote the value, for people: "this device", "lars (laptop)", or the replica id when the team's
    /// directory does not know it (yet: `fieldcli sync` fetches it).
    var writer: String {
        if mine { return Text.thisDevice }
        if let adviser, let device { return "\(adviser) (\(device))" }
        return Text.replica("\(replica)")
    }
}

/// A field as people call it: a note's `body` is its text (`--text` everywhere else).
func displayName(ofField field: String) -> String {
    field == "body" ? "text" : field
}

func printConflict(_ conflict: RecordConflict) {
    print(
        Text.conflictHeading(
            note: conflict.collection == "notes", id: String(conflict.id.prefix(8)),
            subject: Output.clean(conflict.subjectReference)))
    if conflict.deletedElsewhere {
        print("  " + Text.deletedWhileEdited)
    }
    for field in conflict.fields {
        print("  \(displayName(ofField: field.field)):")
        for (index, candidate) in field.candidates.enumerated() {
            let who = candidate.writer
            let lines = candidate.value.split(separator: "\n", omittingEmptySubsequences: false)
            print("    " + Text.candidate(index + 1, from: who))
            for line in lines { print("        \(Output.clean(String(line)))") }
        }
    }
}

struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Settle a conflict: keep one value, or write the merged text.",
        discussion: """
            With no choice, opens $EDITOR on every value of the field, for you to write the merged text.
            The resolution syncs like any edit and settles the conflict on every device.
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "The note's or subject's id, or a unique prefix.") var id: String
    @Option(help: "The field to settle (needed when several are in conflict).") var field: String?
    @Option(help: "Keep value number N as listed by 'fieldcli conflicts'.") var keep: Int?
    @Flag(help: "Keep this device's value.") var mine = false
    @Flag(help: "Keep the other device's value.") var theirs = false
    @Option(help: "Write this text as the settled value.") var text: String?
    @Flag(help: "For a note deleted on one device and edited on another: keep it.") var keepRecord = false
    @Flag(help: "For a note deleted on one device and edited on another: delete it.") var delete = false

    func validate() throws {
        let choices = [keep != nil, mine, theirs, text != nil, keepRecord, delete].filter { $0 }.count
        guard choices <= 1 else {
            throw ValidationError(Text.chooseOneChoice)
        }
        if let keep, keep < 1 { throw ValidationError(Text.keepCountsFromOne) }
    }

    func run() throws {
        // A note's text is the field `body` underneath; people call it text, as --text does.
        let field = self.field.map { $0 == "text" ? "body" : $0 }
        let key = try storeOptions.unlock()
        if keepRecord || delete {
            try storeOptions.withStore(key) { try $0.resolveDeletion(id: id, keep: keepRecord) }
            print(keepRecord ? Text.kept : Text.deletedShort)
            return
        }
        let choice: ConflictChoice
        if let keep {
            choice = .candidate(keep - 1)
        } else if mine {
            choice = .mine
        } else if theirs {
            choice = .theirs
        } else if let text {
            choice = .text(text)
        } else {
            // The store is closed while the editor runs.
            let conflict = try storeOptions.withStore(key) { try $0.conflict(id: id) }
            guard
                let fieldConflict = field.map({ name in conflict.fields.first { $0.field == name } })
                    ?? (conflict.fields.count == 1 ? conflict.fields.first : nil)
            else {
                throw CLIError(Text.nameTheField, status: .usage)
            }
            let draft =
                fieldConflict.candidates.enumerated().map { index, candidate in
                    "<<<<<<< \(Text.markerValue(index + 1, from: candidate.writer))\n"
                        + candidate.value
                }.joined(separator: "\n") + "\n>>>>>>> \(Text.markerWriteMerged)\n"
            let merged = try Editor.fromEnvironment().edit(draft)
            guard !ConflictMarkers.present(in: merged) else {
                throw CLIError(Text.markersLeft, status: .usage)
            }
            choice = .text(merged)
        }
        let remaining = try storeOptions.withStore(key) { try $0.resolve(id: id, field: field, choice: choice) }
        if let remaining {
            print(Text.settledButStill(remaining.fields.map(\.field).joined(separator: ", ")))
        } else {
            print(Text.settled)
        }
    }
}

/// The markers fieldcli puts around versions of a text for a person to merge.
enum ConflictMarkers {
    /// Whether a merged text still holds a marker line.
    static func present(in text: String) -> Bool {
        text.split(separator: "\n").contains { $0.hasPrefix("<<<<<<<") || $0.hasPrefix(">>>>>>>") || $0 == "=======" }
    }
}
