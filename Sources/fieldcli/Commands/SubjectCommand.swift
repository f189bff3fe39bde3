import ArgumentParser
import Foundation
import LocalStore

struct SubjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subject",
        abstract: "Add, list, show and edit subjects (the young people you follow, by pseudonymous reference).",
        subcommands: [Add.self, List.self, Show.self, Edit.self]
    )
}

func parseStatus(_ text: String) throws -> SubjectStatus {
    guard let status = SubjectStatus(rawValue: text.lowercased()) else {
        let all = SubjectStatus.allCases.map(\.rawValue).joined(separator: ", ")
        throw ValidationError("unknown status '\(text)'; one of: \(all)")
    }
    return status
}

func parseYesNo(_ text: String, option: String) throws -> Bool {
    switch text.lowercased() {
    case "yes", "y", "true", "1": return true
    case "no", "n", "false", "0": return false
    default: throw ValidationError("\(option): expected yes or no, not '\(text)'")
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
                try store.addSubject(NewSubject(
                    reference: reference, displayName: name, status: try parseStatus(status),
                    responsibleAdviser: responsible, consentRecorded: try parseYesNo(consent, option: "--consent"),
                    goals: goals ?? "", nextStep: nextStep ?? ""))
            }
            print(subject.id)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List subjects.")

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: JSONOption

        func run() throws {
            let subjects = try storeOptions.withStore { try $0.subjects() }
            if output.json {
                try Output.json(subjects)
            } else if subjects.isEmpty {
                print("No subjects.")
            } else {
                Output.table(
                    ["REFERENCE", "NAME", "STATUS", "RESPONSIBLE", "CONSENT", "ID"],
                    subjects.map {
                        [$0.reference + ($0.hasConflict ? "!" : ""), $0.displayName, $0.status.rawValue,
                         $0.responsibleAdviser, $0.consentRecorded ? "yes" : "no", String($0.id.prefix(8))]
                    })
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a subject.")

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: JSONOption
        @Argument(help: "The subject's reference, or its id or a unique id prefix.") var reference: String

        func run() throws {
            let (subject, count) = try storeOptions.withStore { store in
                let subject = try store.subject(reference: reference)
                return (subject, try store.notes(NoteQuery(subjectReference: subject.reference)).count)
            }
            if output.json {
                try Output.json(subject)
                return
            }
            print("Subject      \(subject.reference)\(subject.hasConflict ? "  (in conflict)" : "")")
            print("Name         \(subject.displayName)")
            print("Status       \(subject.status.rawValue)")
            print("Responsible  \(subject.responsibleAdviser)")
            print("Consent      \(subject.consentRecorded ? "recorded" : "not recorded")")
            if !subject.goals.isEmpty { print("Goals        \(subject.goals)") }
            if !subject.nextStep.isEmpty { print("Next step    \(subject.nextStep)") }
            print("Notes        \(count)")
            print("Id           \(subject.id)")
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
            guard !changes.isEmpty else { throw ValidationError("nothing to change: give at least one option") }
            let subject = try storeOptions.withStore { try $0.editSubject(reference: reference, changes) }
            print("Updated \(subject.reference).")
        }
    }
}
