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
                print("No subjects.")
            } else {
                // A duplicate is another subject with the same reference, created on another device while offline.
                Output.table(
                    ["REFERENCE", "NAME", "STATUS", "RESPONSIBLE", "CONSENT", "ID", "DUPLICATE"],
                    subjects.map {
                        [$0.reference + ($0.hasConflict ? "!" : ""), $0.displayName, $0.status.rawValue,
                         $0.responsibleAdviser, $0.consentRecorded ? "yes" : "no", String($0.id.prefix(8)),
                         $0.duplicates.isEmpty ? "" : "duplicate of " + $0.duplicates.map { String($0.prefix(8)) }
                            .joined(separator: ",")]
                    })
                let groups = Set(subjects.filter { !$0.duplicates.isEmpty }.map(\.reference)).count
                if groups > 0 {
                    print("\(groups) reference(s) name more than one subject: merge each pair with "
                          + "'fieldcli subject merge KEEP OTHER'.")
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
                print("These are duplicates: merge them with 'fieldcli subject merge "
                      + "\(subjects[0].id.prefix(8)) \(subjects[1].id.prefix(8))'.")
            }
        }

        private func show(_ subject: Subject, notes count: Int) {
            print("Subject      \(subject.reference)\(subject.hasConflict ? "  (in conflict)" : "")")
            print("Name         \(subject.displayName)")
            print("Status       \(subject.status.rawValue)")
            print("Responsible  \(subject.responsibleAdviser)")
            print("Consent      \(subject.consentRecorded ? "recorded" : "not recorded")")
            if !subject.goals.isEmpty { print("Goals        \(subject.goals)") }
            if !subject.nextStep.isEmpty { print("Next step    \(subject.nextStep)") }
            if !subject.scope.isEmpty { print("Shared with  \(subject.scope.joined(separator: ", "))") }
            for end in subject.accessEnds { print("Access ends  \(end.replacingOccurrences(of: "@", with: " on "))") }
            if !subject.consentLog.isEmpty {
                print("Consent log")
                for line in subject.consentLog.split(separator: "\n") { print("  " + Output.clean(String(line))) }
            }
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
