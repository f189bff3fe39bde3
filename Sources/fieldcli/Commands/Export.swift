import ArgumentParser
import Foundation
import LocalStore

/// `fieldcli export`: what the young person is entitled to read, in their language.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a readable summary of one young person's notes.",
        discussion: """
            Everything we write is available to the young person: this is the summary they may see, in plain words \
            (kinds and statuses named, dates written out) in Danish or English.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case markdown
        case json
    }

    enum ExportLanguage: String, ExpressibleByArgument, CaseIterable {
        case da
        case en

        var language: Language { self == .da ? .danish : .english }
    }

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "The subject's reference (duplicates of it not merged yet are exported together).")
    var subject: String
    @Option(help: "markdown or json.") var format: Format = .markdown
    @Option(
        help: ArgumentHelp(
            "The young person's language for the Markdown: da or en (default: yours, from LC_ALL, LC_MESSAGES, LANG).",
            valueName: "da|en"))
    var language: ExportLanguage?

    func run() throws {
        let export = try storeOptions.withStore { try $0.export(subjectReference: subject) }
        switch format {
        case .markdown: print(export.markdown(in: language?.language ?? .current), terminator: "")
        case .json: try Output.json(export)
        }
    }
}
