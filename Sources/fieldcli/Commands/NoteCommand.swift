import ArgumentParser
import Foundation
import LocalStore

struct NoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note",
        abstract: "Write, list, show, edit and delete notes.",
        subcommands: [Add.self, List.self, Show.self, Edit.self, Delete.self, Restore.self, Share.self]
    )
}

/// Parses a date option, or fails with a usage error naming the option.
func parseDate(_ text: String?, option: String) throws -> Date? {
    guard let text else { return nil }
    guard let date = DateParsing.parse(text) else {
        throw ValidationError(Text.unreadableDate(text, option: option))
    }
    return date
}

func parseKind(_ text: String) throws -> NoteKind {
    guard let kind = NoteKind(parsing: text) else {
        let kinds = NoteKind.allCases.map(\.rawValue).joined(separator: ", ")
        throw ValidationError(Text.unknownKind(text, kinds: kinds))
    }
    return kind
}

extension NoteCommand {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a note; prints the new note's id.",
            usage: """
                fieldcli note add ung-0142 Walked past the technical college #housing -f +14d
                fieldcli note add ung-0142 -k phone        (the text from the editor, or standard input)
                fieldcli note add                           (asks for the subject and the text)
                """,
            discussion: """
                The first word is the subject's reference, the rest is the text (or use --subject and --text).
                Words like #housing in the text also become tags. Without text, it comes from standard input when
                that is not a terminal, else from $VISUAL/$EDITOR. The kind defaults to $FIELDCLI_KIND, else
                informal. Dates: today, tomorrow, monday or mandag (the next one), 3/12 or 3.12 (day first),
                +14d, -2h, 14:30, 2026-12-03. A follow-up in the past, or a note dated more than a day ahead, is
                asked about on a terminal and needs --yes otherwise.
                """
        )

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The subject's reference, then the note's text.") var words: [String] = []
        @Option(help: "The subject's reference (instead of the first word).") var subject: String?
        @Option(
            name: .shortAndLong,
            help: "The kind of encounter: \(NoteKind.allCases.map(\.rawValue).joined(separator: ", ")).")
        var kind: String?
        @Option(name: [.customShort("t"), .customLong("tag")], help: "A tag (repeatable).") var tags: [String] = []
        @Option(name: .shortAndLong, parsing: .unconditional, help: "When it happened (default: now).") var at: String?
        @Option(name: .shortAndLong, help: "Where it happened.") var place: String?
        @Option(
            name: [.customShort("f"), .customLong("follow-up")], parsing: .unconditional,
            help: "When to follow up, e.g. +14d, friday, 3/12.") var followUp: String?
        @Option(help: "The note's text (instead of the words after the subject).") var text: String?
        @Option(help: "Mark the follow-up of this note done (the new note is the follow-up).") var closes: String?
        @Flag(name: [.customShort("y"), .long], help: "Save a date in the past or far ahead without asking.")
        var yes = false

        /// The kind when none is given: `$FIELDCLI_KIND`, else informal.
        var chosenKind: String {
            kind ?? ProcessInfo.processInfo.environment["FIELDCLI_KIND"].flatMap { $0.isEmpty ? nil : $0 }
                ?? NoteKind.informal.rawValue
        }

        func validate() throws {
            _ = try parseKind(chosenKind)
            _ = try parseDate(at, option: "--at")
            _ = try parseDate(followUp, option: "--follow-up")
            if subject != nil, text != nil, !words.isEmpty {
                throw ValidationError(Text.textTwice)
            }
        }

        func run() throws {
            let kind = try parseKind(chosenKind)
            let occurredAt = try parseDate(at, option: "--at") ?? Date()
            let followUpDate = try parseDate(followUp, option: "--follow-up")
            var reference = subject
            var words = self.words
            if reference == nil, !words.isEmpty { reference = words.removeFirst() }
            var typed = text ?? (words.isEmpty ? nil : words.joined(separator: " "))
            if reference == nil {
                // `fieldcli note add` alone, on a terminal: ask.
                guard let terminal = Terminal.open() else {
                    throw ValidationError(Text.nameTheSubject)
                }
                defer { terminal.close() }
                reference = terminal.readLine(prompt: Text.promptSubject)
                if typed == nil {
                    terminal.say(Text.promptText)
                    var lines: [String] = []
                    while let line = terminal.readLine(prompt: ""), !line.isEmpty { lines.append(line) }
                    typed = lines.joined(separator: "\n")
                }
            }
            guard let reference, !reference.isEmpty else { throw CLIError(Text.noSubject, status: .usage) }
            try confirmUnusualDates(occurredAt: occurredAt, followUp: followUpDate)

            let save = { (store: LocalStore, body: String) throws -> Note in
                guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    throw CLIError(Text.emptyNote, status: .usage)
                }
                let note = try store.addNote(
                    NewNote(
                        subjectReference: reference, kind: kind, occurredAt: occurredAt, place: place ?? "", body: body,
                        tags: tags + Self.hashtags(in: body), followUp: followUpDate))
                if let closes { try store.markFollowUpDone(noteID: closes) }
                return note
            }
            let note: Note
            if let typed {
                note = try storeOptions.withStore { try save($0, typed) }
            } else {
                // The store is not held open while the person types (in the editor, or on standard input).
                let key = try storeOptions.unlock()
                // Check the subject before asking for text, so nobody types a note that cannot be saved.
                try storeOptions.withStore(key) { _ = try $0.subject(reference: reference) }
                let body = try BodyInput.read(text: nil)
                note = try storeOptions.withStore(key) { try save($0, body) }
            }
            print(note.id)
        }

        /// `#housing` and `#education-ready` in a text, as tags (the words stay in the text).
        static func hashtags(in text: String) -> [String] {
            text.split(whereSeparator: { $0.isWhitespace }).compactMap { word in
                guard word.hasPrefix("#"), word.count > 1 else { return nil }
                let tag = word.dropFirst().trimmingCharacters(in: CharacterSet(charactersIn: ".,;:!?)(\"'"))
                return tag.isEmpty || tag.allSatisfy(\.isNumber) ? nil : tag.lowercased()
            }
        }

        /// A follow-up before today, or a note dated more than a day ahead, is most likely a typo.
        private func confirmUnusualDates(occurredAt: Date, followUp: Date?) throws {
            guard !yes else { return }
            var doubts: [String] = []
            if let followUp, followUp < Calendar.current.startOfDay(for: Date()) {
                doubts.append(Text.followUpInPast(DateParsing.displayDay(followUp)))
            }
            if occurredAt > Date().addingTimeInterval(86_400) {
                doubts.append(Text.datedInFuture(DateParsing.display(occurredAt)))
            }
            guard !doubts.isEmpty else { return }
            let question = Text.both(doubts)
            guard let terminal = Terminal.open() else {
                throw CLIError(Text.saveWithYes(question), status: .usage)
            }
            defer { terminal.close() }
            guard terminal.confirm(Text.saveAnyway(question)) else {
                throw CLIError(Text.notSaved, status: .usage)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List notes, newest first.")

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: JSONOption
        @Option(help: "Only this subject's notes (with duplicates of its reference not merged yet, all of theirs).")
        var subject: String?
        @Option(help: "Only notes with this tag.") var tag: String?
        @Option(help: "Only notes of this kind.") var kind: String?
        @Option(parsing: .unconditional, help: "Only notes from this date on (e.g. -7d).") var since: String?
        @Option(parsing: .unconditional, help: "Only notes up to this date.") var until: String?
        @Option(help: "At most this many notes.") var limit: Int?

        func run() throws {
            let query = NoteQuery(
                subjectReference: subject, tag: tag, kind: try kind.map(parseKind),
                since: try parseDate(since, option: "--since"), until: try parseDate(until, option: "--until"),
                limit: limit)
            let notes = try storeOptions.withStore { try $0.notes(query) }
            if output.json {
                try Output.json(notes)
            } else if notes.isEmpty {
                print(Text.noNotes)
            } else {
                Output.table(
                    Column.titles([.id, .when, .subject, .kind, .author, .tags, .text]),
                    notes.map { note in
                        [
                            String(note.id.prefix(8)) + (note.hasConflict ? "!" : ""),
                            DateParsing.display(note.occurredAt), note.subjectReference, note.kind.rawValue,
                            note.author,
                            note.tags.joined(separator: ","), Output.summary(note.body, width: 44),
                        ]
                    })
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one note in full.")

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: JSONOption
        @Argument(help: "The note's id or a unique prefix of it.") var id: String

        func run() throws {
            let note = try storeOptions.withStore { try $0.note(id: id) }
            if output.json {
                try Output.json(note)
            } else {
                printNote(note)
            }
        }
    }

    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a note.",
            discussion: "With no option, opens the text in $EDITOR. --append adds a paragraph to the text."
        )

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The note's id or a unique prefix of it.") var id: String
        @Option(help: "The new kind.") var kind: String?
        @Option(name: .customLong("tag"), help: "Add a tag (repeatable).") var tags: [String] = []
        @Option(name: .customLong("untag"), help: "Remove a tag (repeatable).") var untags: [String] = []
        @Option(parsing: .unconditional, help: "When it happened.") var at: String?
        @Option(help: "Where it happened.") var place: String?
        @Option(name: .customLong("follow-up"), parsing: .unconditional, help: "When to follow up ('none' clears it).")
        var followUp: String?
        @Option(help: "Replace the text.") var text: String?
        @Option(help: "Append a paragraph to the text.") var append: String?

        func run() throws {
            var changes = NoteChanges(
                kind: try kind.map(parseKind), occurredAt: try parseDate(at, option: "--at"), place: place,
                body: text, append: append, addTags: tags, removeTags: untags)
            if let followUp {
                changes.followUp =
                    ["none", "ingen"].contains(followUp.lowercased())
                    ? .some(nil) : .some(try parseDate(followUp, option: "--follow-up"))
            }
            let key = try storeOptions.unlock()
            if changes.isEmpty {
                // The store is closed while the editor runs; a change that comes in meanwhile is merged.
                let original = try storeOptions.withStore(key) { try $0.note(id: id).body }
                let edited = try Editor.fromEnvironment().edit(original)
                guard edited != original else {
                    print(Text.noChange)
                    return
                }
                changes.body = edited
                changes.bodyBase = original
            }
            let note = try saveEdit(changes, key: key)
            print(Text.updated(note.id))
        }

        /// Saves the edit; when the text changed meanwhile on the same lines, opens the editor again on both.
        private func saveEdit(_ changes: NoteChanges, key: StoreKey) throws -> Note {
            var changes = changes
            while true {
                do {
                    return try storeOptions.withStore(key) { try $0.editNote(id: id, changes) }
                } catch LocalStoreError.changedMeanwhile(_, let current) {
                    guard let edited = changes.body else {
                        throw LocalStoreError.changedMeanwhile(id: id, current: current)
                    }
                    printError("fieldcli: " + Text.changedWhileEditing)
                    let draft =
                        "<<<<<<< \(Text.markerYourEdit)\n\(edited)\n=======\n\(current)\n>>>>>>> "
                        + "\(Text.markerChangedMeanwhile)\n"
                    let merged = try Editor.fromEnvironment().edit(draft)
                    guard !ConflictMarkers.present(in: merged) else {
                        throw CLIError(Text.markersLeft, status: .usage)
                    }
                    changes.body = merged
                    changes.bodyBase = current
                }
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a note (shows it and asks first; 'fieldcli note restore ID' undoes it).",
            discussion: "The deletion syncs to every device. A colleague's concurrent edit keeps the note alive and "
                + "shows a conflict instead. Without a terminal to ask on, --yes is needed."
        )

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The note's id or a unique prefix of at least 4 characters.") var id: String
        @Flag(name: [.short, .long], help: "Delete without asking.") var yes = false

        func validate() throws {
            guard id.count >= 4 else {
                throw ValidationError(Text.idTooShort)
            }
        }

        func run() throws {
            let key = try storeOptions.unlock()
            let note = try storeOptions.withStore(key) { try $0.note(id: id) }
            if !yes {
                guard let terminal = Terminal.open() else {
                    throw CLIError(Text.deleteNeedsYes, status: .usage)
                }
                defer { terminal.close() }
                print(
                    "\(note.id.prefix(8))  \(DateParsing.display(note.occurredAt))  "
                        + "\(Output.clean(note.subjectReference))  \(note.kind.rawValue)")
                print("  " + Output.summary(note.body, width: 70))
                guard terminal.confirm(Text.deleteQuestion) else {
                    print(Text.notDeleted)
                    return
                }
            }
            let deleted = try storeOptions.withStore(key) { try $0.deleteNote(id: note.id) }
            print(Text.deleted(String(deleted.prefix(8))))
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Undo the deletion of a note; the restored note syncs like any edit.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The deleted note's id or a unique prefix of it.") var id: String

        func run() throws {
            let note = try storeOptions.withStore { try $0.restoreNote(id: id) }
            print(Text.restored(String(note.id.prefix(8))))
        }
    }
}

/// Prints a note the way a person reads it (control characters shown, never sent to the terminal).
func printNote(_ note: Note) {
    var fields = [
        (Text.labelNote, note.id + (note.hasConflict ? Text.noteInConflict : "")),
        (Text.labelSubject, Output.clean(note.subjectReference)),
        (Text.labelKind, note.kind.rawValue),
        (Text.labelWhen, DateParsing.display(note.occurredAt)),
    ]
    if !note.place.isEmpty { fields.append((Text.labelPlace, Output.clean(note.place))) }
    if !note.tags.isEmpty { fields.append((Text.labelTags, Output.clean(note.tags.joined(separator: ", ")))) }
    if let followUp = note.followUp { fields.append((Text.labelFollowUp, DateParsing.displayDay(followUp))) }
    fields.append((Text.labelAuthor, Text.authorOn(Output.clean(note.author), device: Output.clean(note.device))))
    Output.fields(fields, gap: 1)
    print("")
    print(Output.clean(note.body, keepLines: true))
}
