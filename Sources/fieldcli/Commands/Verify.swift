import ArgumentParser
import Foundation
import LocalStore

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that every page of the store authenticates and its structure is sound.",
        discussion: "Exits with code 4 if the store is damaged or has been tampered with."
    )

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        try storeOptions.withStore { try $0.verifyIntegrity() }
        print("The store is intact.")
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
                    let note = try store.addNote(NewNote(
                        subjectReference: subject, kind: .informal,
                        body: "burst note \(index) " + String(repeating: "text ", count: 50)))
                    // Unbuffered, so the id is out before the next write starts.
                    FileHandle.standardOutput.write(Data((note.id + "\n").utf8))
                }
            }
        }
    }
}
