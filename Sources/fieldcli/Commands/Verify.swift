import ArgumentParser
import Foundation
import LocalStore

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that every page of the store authenticates, its structure is sound, and the search index "
            + "and lists agree with the notes.",
        discussion: """
            Exits with code 4 if the store is damaged or has been tampered with. The search index and the note
            and subject lists are derived from the notes: --repair rebuilds them when they disagree.
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Flag(help: "Rebuild the search index and the note and subject lists from the notes.") var repair = false

    func run() throws {
        try storeOptions.withStore { store in
            try store.verifyIntegrity()
            let problems = try store.derivedDataProblems()
            if repair {
                let count = try store.rebuildDerivedData()
                let left = try store.derivedDataProblems()
                guard left.isEmpty else {
                    throw CLIError(Text.rebuildDidNotHelp(left.joined(separator: "; ")), status: .damagedStore)
                }
                print(Text.rebuilt(count))
            } else if problems.isEmpty {
                print(Text.intact)
            } else {
                throw CLIError(Text.derivedDataProblems(problems.joined(separator: "; ")), status: .damagedStore)
            }
        }
    }
}

/// Commands for testing the tool itself; hidden from help.
struct Debug: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Commands for testing fieldcli itself.",
        shouldDisplay: false,
        subcommands: [WriteBurst.self]
    )

    /// Writes notes one transaction at a time and prints each id once its transaction has committed, so a test
    /// can kill the process at any moment and check that every printed note survived.
    struct WriteBurst: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "write-burst")

        @OptionGroup var storeOptions: StoreOptions
        @Option var subject: String
        @Option var count: Int = 1_000_000

        func run() throws {
            try storeOptions.withStore { store in
                for index in 0..<count {
                    let note = try store.addNote(
                        NewNote(
                            subjectReference: subject, kind: .informal,
                            body: "burst note \(index) " + String(repeating: "text ", count: 50)))
                    // Unbuffered, so the id is out before the next write starts.
                    FileHandle.standardOutput.write(Data((note.id + "\n").utf8))
                }
            }
        }
    }
}
