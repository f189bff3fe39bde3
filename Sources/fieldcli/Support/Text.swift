import Foundation

/// What fieldcli says to a person, in English and Danish side by side: the one place for both languages.
///
/// Every message is a member of `Text` (here and in `Text+Feature.swift`) that gives both wordings, so a message
/// without its translation does not compile; commands never write a sentence of their own. The language is
/// ``Language/current``. Internal codes that a person types (`--kind home-visit`, `--status in-job`) and
/// ArgumentParser's own help stay as they are; the export for the young person has plain words for them
/// (`Text+Export.swift`).
///
/// ```swift
/// print(Text.noNotes)                      // "No notes." or "Ingen notater."
/// Output.table(Column.titles([.id, .when]), rows)
/// ```
enum Text {
    /// The wording for the current language.
    static func say(en english: @autoclosure () -> String, da danish: @autoclosure () -> String) -> String {
        say(in: Language.current, en: english(), da: danish())
    }

    /// The wording for `language`.
    static func say(
        in language: Language, en english: @autoclosure () -> String, da danish: @autoclosure () -> String
    ) -> String {
        switch language {
        case .english: return english()
        case .danish: return danish()
        }
    }

    // MARK: Words used everywhere

    static var yes: String { say(en: "yes", da: "ja") }
    static var no: String { say(en: "no", da: "nej") }
    /// The answer hint after a yes/no question: only y (or j, Danish "ja") is yes.
    static var yesNoHint: String { say(en: "[y/N]", da: "[j/N]") }

    /// `3d`: days overdue, in a column.
    static func daysShort(_ count: Int) -> String { say(en: "\(count)d", da: "\(count) d") }

    // MARK: The command line

    static func unknownCommand(_ word: String, path: String, suggestion: String?) -> String {
        let english =
            "unknown command '\(word)' for '\(path)'"
            + (suggestion.map { "; did you mean '\(path) \($0)'?" } ?? "") + " (see '\(path) --help')"
        let danish =
            "ukendt kommando '\(word)' til '\(path)'"
            + (suggestion.map { "; mente du '\(path) \($0)'?" } ?? "") + " (se '\(path) --help')"
        return say(en: english, da: danish)
    }

    static func unreadableDate(_ text: String, option: String) -> String {
        say(
            en: "\(option): cannot read '\(text)' as a date (try 2026-11-23, 14:30, yesterday, -2h, +14d)",
            da: "\(option): '\(text)' kan ikke læses som en dato (prøv 3/12, 2026-11-23, 14:30, i går, -2h, +14d)")
    }

    static func unknownKind(_ text: String, kinds: String) -> String {
        say(en: "unknown kind '\(text)'; one of: \(kinds)", da: "ukendt type '\(text)'; brug en af: \(kinds)")
    }

    static func unknownStatus(_ text: String, statuses: String) -> String {
        say(en: "unknown status '\(text)'; one of: \(statuses)", da: "ukendt status '\(text)'; brug en af: \(statuses)")
    }

    static func expectedYesOrNo(_ text: String, option: String) -> String {
        say(en: "\(option): expected yes or no, not '\(text)'", da: "\(option): skriv ja eller nej, ikke '\(text)'")
    }

    static var nothingToChange: String {
        say(en: "nothing to change: give at least one option", da: "intet at ændre: angiv mindst én indstilling")
    }

    static var notSaved: String { say(en: "not saved", da: "ikke gemt") }

    static var markersLeft: String {
        say(
            en: "the conflict markers are still there; nothing saved",
            da: "konfliktmarkeringerne er der stadig; intet er gemt")
    }

    static var textNotUTF8: String {
        say(en: "the text on standard input is not UTF-8", da: "teksten på standard input er ikke UTF-8")
    }
}

/// The heading of a table column, in the person's language.
enum Column {
    case id, when, subject, kind, author, tags, text, match
    case due, overdue, note
    case reference, name, status, responsible, consent, duplicate

    var title: String {
        switch self {
        case .id: return "ID"
        case .when: return Text.say(en: "WHEN", da: "HVORNÅR")
        case .subject: return Text.say(en: "SUBJECT", da: "UNG")
        case .kind: return Text.say(en: "KIND", da: "TYPE")
        case .author: return Text.say(en: "AUTHOR", da: "SKREVET AF")
        case .tags: return Text.say(en: "TAGS", da: "EMNEORD")
        case .text: return Text.say(en: "TEXT", da: "TEKST")
        case .match: return Text.say(en: "MATCH", da: "FUNDET")
        case .due: return Text.say(en: "DUE", da: "FRIST")
        case .overdue: return Text.say(en: "OVERDUE", da: "OVERSKREDET")
        case .note: return Text.say(en: "NOTE", da: "NOTAT")
        case .reference: return Text.say(en: "REFERENCE", da: "REFERENCE")
        case .name: return Text.say(en: "NAME", da: "NAVN")
        case .status: return "STATUS"
        case .responsible: return Text.say(en: "RESPONSIBLE", da: "ANSVARLIG")
        case .consent: return Text.say(en: "CONSENT", da: "SAMTYKKE")
        case .duplicate: return Text.say(en: "DUPLICATE", da: "DUBLET")
        }
    }

    static func titles(_ columns: [Column]) -> [String] { columns.map(\.title) }
}
