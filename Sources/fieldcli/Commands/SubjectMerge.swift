import ArgumentParser
import Foundation
import LocalStore

extension SubjectCommand {
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge a duplicate subject into another (shows both and asks first).",
            usage: "fieldcli subject merge KEEP OTHER [--yes]",
            discussion: """
                Two devices that each created the same young person while offline give two subjects with one
                reference ('fieldcli subject list' marks them). Merging folds OTHER into KEEP on every device of the
                team: OTHER's notes move to KEEP, KEEP takes OTHER's values where it has none, goals and next step
                keep both texts, and fields where both have different values keep KEEP's value and are named.
                Notes written to OTHER later, on a device that had not synced yet, are shown under KEEP. Without a
                terminal to ask on, --yes is needed.
                """
        )

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The subject to keep: its id or a unique id prefix.") var keep: String
        @Argument(help: "The subject to fold into it: its id or a unique id prefix.") var other: String
        @Flag(name: [.short, .long], help: "Merge without asking.") var yes = false

        func run() throws {
            let key = try storeOptions.unlock()
            let plan = try storeOptions.withStore(key) { try $0.subjectMergePlan(keep: keep, other: other) }
            if !yes {
                guard let terminal = Terminal.open() else {
                    throw CLIError(Text.mergeNeedsYes, status: .usage)
                }
                defer { terminal.close() }
                Output.fields([
                    (Text.labelKeep, Self.describe(plan.keep)),
                    (Text.labelFoldIn, "\(Self.describe(plan.other)), \(Text.notesToMove(plan.notesToMove))"),
                ])
                for field in plan.fields.notTaken {
                    print(
                        "  "
                            + Text.fieldDiffers(
                                field, keeps: Self.value(of: field, in: plan.keep),
                                not: Self.value(of: field, in: plan.other)))
                }
                guard terminal.confirm(Text.mergeQuestion) else {
                    print(Text.notMerged)
                    return
                }
            }
            let result = try storeOptions.withStore(key) {
                try $0.mergeSubjects(keep: plan.keep.id, other: plan.other.id)
            }
            var summary = Text.merged(
                String(result.foldedID.prefix(8)), into: String(result.kept.id.prefix(8)),
                reference: Output.clean(result.kept.reference), moved: result.notesMoved)
            if !result.fields.taken.isEmpty { summary += Text.tookFields(result.fields.taken.joined(separator: ", ")) }
            if !result.fields.combined.isEmpty {
                summary += Text.keptBothTexts(result.fields.combined.joined(separator: ", "))
            }
            if !result.fields.notTaken.isEmpty {
                summary += Text.didNotTake(result.fields.notTaken.joined(separator: ", "))
            }
            print(summary + ".")
        }

        static func describe(_ subject: Subject) -> String {
            "\(subject.id.prefix(8))  \(Output.clean(subject.reference))  \(Output.clean(subject.displayName))  "
                + "\(subject.status.rawValue)  \(Output.clean(subject.responsibleAdviser))"
        }

        /// A field's value as the confirmation shows it, on the terminal only.
        static func value(of field: String, in subject: Subject) -> String {
            let text: String
            switch field {
            case "reference": text = subject.reference
            case "displayName": text = subject.displayName
            case "status": text = subject.status.rawValue
            case "responsibleAdviser": text = subject.responsibleAdviser
            case "consentAt": text = subject.consentAt.map { DateParsing.display($0) } ?? ""
            case "scope": text = subject.scope.joined(separator: ",")
            case "consent": text = subject.consent.joined(separator: ",")
            case "accessEnds": text = subject.accessEnds.joined(separator: ",")
            default: text = "…"
            }
            return Output.summary(text, width: 40)
        }
    }
}
