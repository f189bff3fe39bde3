import Foundation

/// Notes, search, follow-ups and conflicts, in both languages.
extension Text {
    // MARK: note add

    static var textTwice: String {
        say(
            en: "give the text either as words or with --text, not both",
            da: "skriv teksten enten som ord eller med --text, ikke begge dele")
    }
    static var nameTheSubject: String {
        say(
            en: "name the subject: fieldcli note add SUBJECT [TEXT...]",
            da: "angiv den unge: fieldcli note add REFERENCE [TEKST...]")
    }
    static var promptSubject: String { say(en: "Subject: ", da: "Ung (reference): ") }
    static var promptText: String {
        say(en: "Text (an empty line ends it):\n", da: "Tekst (en tom linje afslutter):\n")
    }
    static var noSubject: String { say(en: "no subject; nothing saved", da: "ingen ung angivet; intet er gemt") }
    static var emptyNote: String { say(en: "the note is empty; nothing saved", da: "notatet er tomt; intet er gemt") }
    static func followUpInPast(_ day: String) -> String {
        say(en: "the follow-up \(day) is in the past", da: "opfølgningen \(day) ligger i fortiden")
    }
    static func datedInFuture(_ time: String) -> String {
        say(en: "the note is dated \(time), in the future", da: "notatet er dateret \(time), ude i fremtiden")
    }
    /// Doubts about a note's dates, as one clause.
    static func both(_ clauses: [String]) -> String {
        clauses.joined(separator: say(en: " and ", da: " og "))
    }
    static func saveWithYes(_ doubts: String) -> String {
        say(en: "\(doubts); add --yes to save it anyway", da: "\(doubts); tilføj --yes for at gemme det alligevel")
    }
    static func saveAnyway(_ doubts: String) -> String {
        say(en: "Note: \(doubts). Save anyway? \(yesNoHint) ", da: "Bemærk: \(doubts). Gem alligevel? \(yesNoHint) ")
    }

    // MARK: note list, show, edit, delete, restore

    static var noNotes: String { say(en: "No notes.", da: "Ingen notater.") }
    static var noChange: String { say(en: "No change.", da: "Ingen ændringer.") }
    static func updated(_ name: String) -> String { say(en: "Updated \(name).", da: "Opdateret: \(name).") }
    static var changedWhileEditing: String {
        say(
            en: "the note changed while you edited it; merge both versions and save",
            da: "notatet blev ændret, mens du redigerede det; flet de to udgaver sammen og gem")
    }
    static var markerYourEdit: String { say(en: "your edit", da: "din ændring") }
    static var markerChangedMeanwhile: String { say(en: "changed meanwhile", da: "ændret i mellemtiden") }
    static var idTooShort: String {
        say(
            en: "give at least 4 characters of the note's id (a shorter prefix is too easy to mistype)",
            da: "angiv mindst 4 tegn af notatets id (et kortere præfiks er for let at ramme forkert)")
    }
    static var deleteNeedsYes: String {
        say(
            en: "deleting needs --yes when there is no terminal to ask on",
            da: "sletning kræver --yes, når der ikke er en terminal at spørge på")
    }
    static var deleteQuestion: String {
        say(
            en: "Delete this note on every device of your team? \(yesNoHint) ",
            da: "Slet dette notat på alle enheder i dit team? \(yesNoHint) ")
    }
    static var notDeleted: String { say(en: "Not deleted.", da: "Ikke slettet.") }
    static func deleted(_ id: String) -> String {
        say(
            en: "Deleted \(id). Undo with: fieldcli note restore \(id)",
            da: "Slettet: \(id). Fortryd med: fieldcli note restore \(id)")
    }
    static func restored(_ id: String) -> String { say(en: "Restored \(id).", da: "Gendannet: \(id).") }

    /// The labels of `note show`.
    static var labelNote: String { say(en: "Note", da: "Notat") }
    static var labelSubject: String { say(en: "Subject", da: "Ung") }
    static var labelKind: String { say(en: "Kind", da: "Type") }
    static var labelWhen: String { say(en: "When", da: "Hvornår") }
    static var labelPlace: String { say(en: "Place", da: "Sted") }
    static var labelTags: String { say(en: "Tags", da: "Emneord") }
    static var labelFollowUp: String { say(en: "Follow-up", da: "Opfølgning") }
    static var labelAuthor: String { say(en: "Author", da: "Skrevet af") }
    static func authorOn(_ author: String, device: String) -> String {
        say(en: "\(author) on \(device)", da: "\(author) på \(device)")
    }
    static var noteInConflict: String {
        say(en: "  (in conflict: see 'fieldcli conflicts')", da: "  (i konflikt: se 'fieldcli conflicts')")
    }

    // MARK: note share

    static var nameTeamForNote: String {
        say(
            en: "name the team to share the note with: --team TEAM",
            da: "angiv det team, notatet skal deles med: --team TEAM")
    }
    static func sharedNote(_ id: String, team: String, readers: String) -> String {
        say(
            en: "Shared note \(id) with \(team) (readers: \(readers)); it reaches them after your next "
                + "'fieldcli sync'.",
            da: "Notat \(id) er delt med \(team) (læses af: \(readers)); det når frem efter din næste "
                + "'fieldcli sync'.")
    }

    // MARK: search and follow-ups

    static var nothingFound: String { say(en: "Nothing found.", da: "Intet fundet.") }
    static var noOpenFollowUps: String { say(en: "No open follow-ups.", da: "Ingen åbne opfølgninger.") }
    static var noFollowUpsDue: String { say(en: "No follow-ups due.", da: "Ingen opfølgninger er forfaldne.") }
    static var handoverMark: String { say(en: "HANDOVER", da: "OVERLEVERING") }
    static var markDoneHint: String {
        say(
            en: "Mark one done with: fieldcli followups done NOTE",
            da: "Markér en som udført med: fieldcli followups done NOTAT")
    }
    static var handoverStaysHint: String {
        say(
            en: "A handover stays here until you write a note about the young person.",
            da: "En overlevering bliver stående her, til du skriver et notat om den unge.")
    }
    static func followUpDone(_ id: String, subject: String) -> String {
        say(
            en: "Follow-up of \(id) (\(subject)) done.",
            da: "Opfølgningen på \(id) (\(subject)) er markeret som udført.")
    }

    // MARK: conflicts and resolve

    static var noConflicts: String { say(en: "No conflicts.", da: "Ingen konflikter.") }
    static func settleHint(_ command: String) -> String {
        say(
            en: "Settle one with, e.g.: \(command)   (or --mine, --theirs, --text T; no option opens your editor on "
                + "all values)",
            da: "Afgør en konflikt med f.eks.: \(command)   (eller --mine, --theirs, --text T; uden valg åbnes din "
                + "editor med alle værdier)")
    }
    static var thisDevice: String { say(en: "this device", da: "denne enhed") }
    static func replica(_ id: String) -> String { say(en: "replica \(id)", da: "replika \(id)") }
    static func conflictHeading(note: Bool, id: String, subject: String) -> String {
        say(
            en: "\(note ? "note" : "subject") \(id)  (subject \(subject))",
            da: note ? "notat \(id)  (ung \(subject))" : "ung \(id)  (reference \(subject))")
    }
    static var deletedWhileEdited: String {
        say(
            en: "deleted on one device while edited on another: keep it (--keep-record) or delete it (--delete)",
            da: "slettet på én enhed, mens det blev redigeret på en anden: behold det (--keep-record) eller slet "
                + "det (--delete)")
    }
    static func candidate(_ number: Int, from writer: String) -> String {
        say(en: "[\(number)] from \(writer):", da: "[\(number)] fra \(writer):")
    }
    static var chooseOneChoice: String {
        say(
            en: "choose one of --keep, --mine, --theirs, --text, --keep-record, --delete",
            da: "vælg én af --keep, --mine, --theirs, --text, --keep-record, --delete")
    }
    static var keepCountsFromOne: String { say(en: "--keep counts from 1", da: "--keep tæller fra 1") }
    static var kept: String { say(en: "Kept.", da: "Beholdt.") }
    static var deletedShort: String { say(en: "Deleted.", da: "Slettet.") }
    static var nameTheField: String {
        say(en: "name the field to settle with --field", da: "angiv med --field, hvilket felt der skal afgøres")
    }
    static func markerValue(_ number: Int, from writer: String) -> String {
        say(en: "value \(number) (from \(writer))", da: "værdi \(number) (fra \(writer))")
    }
    static var markerWriteMerged: String {
        say(
            en: "write the merged text and remove these markers",
            da: "skriv den samlede tekst og fjern disse markeringer")
    }
    static func settledButStill(_ fields: String) -> String {
        say(en: "Settled; still in conflict: \(fields).", da: "Afgjort; stadig i konflikt: \(fields).")
    }
    static var settled: String {
        say(
            en: "Settled. Run 'fieldcli sync' to share the resolution.",
            da: "Afgjort. Kør 'fieldcli sync' for at dele afgørelsen.")
    }
}
