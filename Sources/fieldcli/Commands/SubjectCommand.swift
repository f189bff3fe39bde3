import ArgumentParser
import Foundation
import LocalStore

struct SubjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subject",
        abstract: "Add, list, show, edit and merge subjects (the young people you follow, by pseudonymous reference).",
        subcommands: [
            Add.self, List.self, Show.self, Edit.self, Merge.self, Share.self, Unshare.self, Handover.self,
        ]
    )
}

func parseStatus(_ text: String) throws -> SubjectStatus {
    guard let status = SubjectStatus(rawValue: text.lowercased()) else {
        let all = SubjectStatus.allCases.map(\.rawValue).joined(separator: ", ")
        throw ValidationError(Text.unknownStatus(text, statuses: all))
    }
    return status
}

func parseYesNo(_ text: String, option: String) throws -> Bool {
    switch text.lowercased() {
    case "yes", "y", "true", "1", "ja", "j": return true
    case "no", "n", "false", "0", "nej": return false
    default: throw ValidationError(Text.expectedYesOrNo(text, option: option))
    }
}

extension SubjectCommand {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a subject; prints its id.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "A pseudonymous reference (never a civil registration number), e.g. ung-0142.")
        var reference: String
        @Option(help: "A name to show (default: the reference).") var name: String?
        @Option(help: "Status: \(SubjectStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
        var status: String = SubjectStatus.notEducationReady.rawValue
        @Option(help: "The responsible adviser (default: you).") var responsible: String?
        @Option(help: "Whether consent is recorded: yes or no.") var consent: String = "no"
        @Option(help: "Sub-goals of the course.") var goals: String?
        @Option(help: "The agreed next step.") var nextStep: String?

        func run() throws {
            let subject = try storeOptions.withStore { store in
                try store.addSubject(
                    NewSubject(
                        reference: reference, displayName: name, status: try parseStatus(status),
                        responsibleAdviser: responsible, consentRecorded: try parseYesNo(consent, option: "--consent"),
                        goals: goals ?? "", nextStep: nextStep ?? ""))
            }
            print(subject.id)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List subjects.",
            discussion: "Example: 'fieldcli subject list --mine' lists the young people you are responsible for.")

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: JSONOption
        @Flag(help: "Only the subjects you are responsible for (handed over to you included).") var mine = false

        func run() throws {
            let (all, me) = try storeOptions.withStore { (try $0.subjects(), $0.adviser) }
            let subjects = mine ? all.filter { $0.responsibleAdviser == me } : all
            if output.json {
                try Output.json(subjects)
            } else if subjects.isEmpty {
                print(Text.noSubjects)
            } else {
                // A duplicate is another subject with the same reference, created on another device while offline.
                Output.table(
                    Column.titles([.reference, .name, .status, .responsible, .consent, .id, .duplicate]),
                    subjects.map {
                        [
                            $0.reference + ($0.hasConflict ? "!" : ""), $0.displayName, $0.status.rawValue,
                            $0.responsibleAdviser, $0.consentRecorded ? Text.yes : Text.no, String($0.id.prefix(8)),
                            $0.duplicates.isEmpty
                                ? ""
                                : Text.duplicateOf(
                                    $0.duplicates.map { String($0.prefix(8)) }
                                        .joined(separator: ",")),
                        ]
                    })
                let groups = Set(subjects.filter { !$0.duplicates.isEmpty }.map(\.reference)).count
                if groups > 0 {
                    print(Text.duplicateReferences(groups))
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a subject.")

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: JSONOption
        @Argument(help: "The subject's reference, or its id or a unique id prefix.") var reference: String

        func run() throws {
            // Duplicates of a reference (not merged yet) are shown each, with the notes of all of them.
            let shown = try storeOptions.withStore { store in
                try store.subjects(reference: reference).map { subject in
                    (subject, try store.notes(NoteQuery(subjectReference: subject.id)).count)
                }
            }
            let subjects = shown.map(\.0)
            if output.json {
                if subjects.count == 1 { try Output.json(subjects[0]) } else { try Output.json(subjects) }
                return
            }
            for (index, (subject, count)) in shown.enumerated() {
                if index > 0 { print("") }
                show(subject, notes: count)
            }
            if subjects.count > 1 {
                print("")
                print(Text.theseAreDuplicates(String(subjects[0].id.prefix(8)), String(subjects[1].id.prefix(8))))
            }
        }

        private func show(_ subject: Subject, notes count: Int) {
            var fields = [
                (Text.labelSubject, subject.reference + (subject.hasConflict ? Text.inConflict : "")),
                (Text.labelName, subject.displayName),
                (Text.labelStatus, subject.status.rawValue),
                (Text.labelResponsible, subject.responsibleAdviser),
                (Text.labelConsent, subject.consentRecorded ? Text.consentRecorded : Text.consentNotRecorded),
            ]
            if !subject.goals.isEmpty { fields.append((Text.labelGoals, subject.goals)) }
            if !subject.nextStep.isEmpty { fields.append((Text.labelNextStep, subject.nextStep)) }
            if !subject.scope.isEmpty { fields.append((Text.labelSharedWith, subject.scope.joined(separator: ", "))) }
            for end in subject.accessEnds {
                let text = end.lastIndex(of: "@").map {
                    Text.accessEnd(team: String(end[..<$0]), day: String(end[end.index(after: $0)...]))
                }
                fields.append((Text.labelAccessEnds, text ?? end))
            }
            let notes = [(Text.labelNotes, "\(count)"), (Text.labelID, subject.id)]
            // The consent log's lines go between the fields, aligned with them.
            let width = (fields + notes).map(\.0.count).max() ?? 0
            Output.fields(fields, labelWidth: width)
            if !subject.consentLog.isEmpty {
                print(Text.labelConsentLog)
                for line in subject.consentLog.split(separator: "\n") { print("  " + Output.clean(String(line))) }
            }
            Output.fields(notes, labelWidth: width)
        }
    }

    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a subject.")

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The subject's reference, or its id or a unique id prefix.") var reference: String
        @Option(help: "A name to show.") var name: String?
        @Option(help: "The status.") var status: String?
        @Option(help: "Hand responsibility to this adviser.") var responsible: String?
        @Option(help: "Whether consent is recorded: yes or no.") var consent: String?
        @Option(help: "Sub-goals of the course.") var goals: String?
        @Option(help: "The agreed next step.") var nextStep: String?

        func run() throws {
            let changes = SubjectChanges(
                displayName: name, status: try status.map(parseStatus), responsibleAdviser: responsible,
                consentRecorded: try consent.map { try parseYesNo($0, option: "--consent") }, goals: goals,
                nextStep: nextStep)
            guard !changes.isEmpty else { throw ValidationError(Text.nothingToChange) }
            let subject = try storeOptions.withStore { try $0.editSubject(reference: reference, changes) }
            print(Text.updated(subject.reference))
        }
    }
}
