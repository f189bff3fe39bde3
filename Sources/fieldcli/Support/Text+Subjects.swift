import Foundation

/// Subjects (the young people an adviser follows): list, show, merge, share and handover, in both languages.
extension Text {
    // MARK: subject list and show

    static var noSubjects: String { say(en: "No subjects.", da: "Ingen unge.") }
    static func duplicateOf(_ ids: String) -> String { say(en: "duplicate of \(ids)", da: "dublet af \(ids)") }
    static func duplicateReferences(_ count: Int) -> String {
        say(
            en: "\(count) reference(s) name more than one subject: merge each pair with "
                + "'fieldcli subject merge KEEP OTHER'.",
            da: "\(count) reference(r) dækker over mere end én ung: læg hvert par sammen med "
                + "'fieldcli subject merge BEHOLD ANDEN'.")
    }
    static func theseAreDuplicates(_ keep: String, _ other: String) -> String {
        say(
            en: "These are duplicates: merge them with 'fieldcli subject merge \(keep) \(other)'.",
            da: "Det er dubletter: læg dem sammen med 'fieldcli subject merge \(keep) \(other)'.")
    }

    /// The labels of `subject show`.
    static var labelName: String { say(en: "Name", da: "Navn") }
    static var labelStatus: String { "Status" }
    static var labelResponsible: String { say(en: "Responsible", da: "Ansvarlig") }
    static var labelConsent: String { say(en: "Consent", da: "Samtykke") }
    static var labelGoals: String { say(en: "Goals", da: "Mål") }
    static var labelNextStep: String { say(en: "Next step", da: "Næste skridt") }
    static var labelSharedWith: String { say(en: "Shared with", da: "Delt med") }
    static var labelAccessEnds: String { say(en: "Access ends", da: "Adgang ophører") }
    static var labelConsentLog: String { say(en: "Consent log", da: "Samtykkelog") }
    static var labelNotes: String { say(en: "Notes", da: "Notater") }
    static var labelID: String { "Id" }
    static var inConflict: String { say(en: "  (in conflict)", da: "  (i konflikt)") }
    static var consentRecorded: String { say(en: "recorded", da: "givet og noteret") }
    static var consentNotRecorded: String { say(en: "not recorded", da: "ikke noteret") }
    static func accessEnd(team: String, day: String) -> String {
        say(en: "\(team) on \(day)", da: "\(team) den \(day)")
    }

    // MARK: subject merge

    static var mergeNeedsYes: String {
        say(
            en: "merging needs --yes when there is no terminal to ask on",
            da: "sammenlægning kræver --yes, når der ikke er en terminal at spørge på")
    }
    static var labelKeep: String { say(en: "Keep", da: "Behold") }
    static var labelFoldIn: String { say(en: "Fold in", da: "Læg ind") }
    static func notesToMove(_ count: Int) -> String {
        say(en: "\(count) note(s)", da: "\(count) notat(er)")
    }
    static func fieldDiffers(_ field: String, keeps: String, not other: String) -> String {
        say(
            en: "\(field) differs: keeps '\(keeps)', not '\(other)'",
            da: "\(field) er forskellig: beholder '\(keeps)', ikke '\(other)'")
    }
    static var mergeQuestion: String {
        say(
            en: "Merge these on every device of your team? \(yesNoHint) ",
            da: "Læg disse sammen på alle enheder i dit team? \(yesNoHint) ")
    }
    static var notMerged: String { say(en: "Not merged.", da: "Ikke lagt sammen.") }
    static func merged(_ folded: String, into kept: String, reference: String, moved: Int) -> String {
        say(
            en: "Merged \(folded) into \(kept) (\(reference)): \(moved) note(s) moved",
            da: "\(folded) er lagt sammen med \(kept) (\(reference)): \(moved) notat(er) flyttet")
    }
    static func tookFields(_ fields: String) -> String { say(en: "; took \(fields)", da: "; overtog \(fields)") }
    static func keptBothTexts(_ fields: String) -> String {
        say(en: "; kept both texts of \(fields)", da: "; beholdt begge tekster i \(fields)")
    }
    static func didNotTake(_ fields: String) -> String {
        say(
            en: "; did not take the other's \(fields) (different values; change them with 'fieldcli subject edit')",
            da: "; overtog ikke den andens \(fields) (forskellige værdier; ret dem med 'fieldcli subject edit')")
    }

    // MARK: subject share and unshare

    static var nameTeamToShare: String {
        say(en: "name the team to share with: --team TEAM", da: "angiv det team, der skal deles med: --team TEAM")
    }
    static var sharingNeedsConsent: String {
        say(
            en: "sharing needs the young person's consent: --consent \"what they agreed to share\"",
            da: "deling kræver den unges samtykke: --consent \"hvad den unge har sagt ja til at dele\"")
    }
    static func shared(_ reference: String, team: String) -> String {
        say(
            en: "Shared \(reference) with \(team), consent recorded; team \(team) reads it after your next "
                + "'fieldcli sync'.",
            da: "\(reference) er delt med \(team), og samtykket er noteret; team \(team) kan læse forløbet efter din "
                + "næste 'fieldcli sync'.")
    }
    static var nameTeamToUnshare: String {
        say(
            en: "name the team to stop sharing with: --team TEAM",
            da: "angiv det team, der ikke længere skal deles med: --team TEAM")
    }
    static func unshared(_ reference: String, team: String) -> String {
        say(
            en: "Stopped sharing \(reference) with \(team); the withdrawal is in the consent log. Team \(team) loses "
                + "access after your next 'fieldcli sync'.",
            da: "\(reference) deles ikke længere med \(team); tilbagekaldelsen står i samtykkeloggen. Team \(team) "
                + "mister adgangen efter din næste 'fieldcli sync'.")
    }

    // MARK: subject handover

    static var nameAdviser: String {
        say(en: "name the adviser who takes over: --to ADVISER", da: "angiv den vejleder, der overtager: --to VEJLEDER")
    }
    static var handoverNeedsNote: String {
        say(
            en: "a handover needs a note: --note \"what the next adviser needs to know\"",
            da: "en overlevering kræver et notat: --note \"hvad den næste vejleder skal vide\"")
    }
    static var handoverNeedsConsent: String {
        say(
            en: "a handover to another team needs the young person's consent: --consent \"what they agreed to\"",
            da: "en overlevering til et andet team kræver den unges samtykke: --consent \"hvad den unge har sagt "
                + "ja til\"")
    }
    static var handoverNeedsYes: String {
        say(
            en: "a handover to another team needs --yes when there is no terminal to ask on",
            da: "en overlevering til et andet team kræver --yes, når der ikke er en terminal at spørge på")
    }
    static func handedOver(_ reference: String, to adviser: String, note: String) -> String {
        say(
            en: "Handed \(reference) over to \(adviser); handover note \(note).",
            da: "\(reference) er overleveret til \(adviser); overleveringsnotat \(note).")
    }
    static func handedOver(
        _ reference: String, to adviser: String, team: String, note: String, access: String
    )
        -> String
    {
        say(
            en: "Handed \(reference) over to \(adviser) in team \(team), consent recorded; handover note \(note); "
                + "\(access).",
            da: "\(reference) er overleveret til \(adviser) i team \(team), og samtykket er noteret; "
                + "overleveringsnotat \(note); \(access).")
    }
    static func keepsReading(until lastDay: String, accessEnds day: String) -> String {
        say(
            en: "your team keeps reading it until \(lastDay) (access ends \(day))",
            da: "dit team kan læse med til og med \(lastDay) (adgangen ophører \(day))")
    }
    static var accessEndsNextSync: String {
        say(
            en: "your team's access ends with your next 'fieldcli sync'",
            da: "dit teams adgang ophører ved din næste 'fieldcli sync'")
    }
    static func keepsReading(until day: String) -> String {
        say(en: "your team keeps reading it until \(day)", da: "dit team kan læse med til \(day)")
    }
    static var leavesAfterSync: String {
        say(
            en: "after your next sync it leaves your team's devices, with its notes",
            da: "efter din næste sync forsvinder forløbet og dets notater fra dit teams enheder")
    }
    static func handoverQuestion(
        _ reference: String, name: String, to adviser: String, team: String, access: String
    )
        -> String
    {
        say(
            en: "Hand \(reference) (\(name)) over to \(adviser) in team \(team)? The handover note is shared with "
                + "\(team); \(access).",
            da: "Overlevér \(reference) (\(name)) til \(adviser) i team \(team)? Overleveringsnotatet deles med "
                + "\(team); \(access).")
    }
    static var handOverPrompt: String { say(en: "Hand over? \(yesNoHint) ", da: "Overlevér? \(yesNoHint) ") }
    static var notHandedOver: String { say(en: "not handed over", da: "ikke overleveret") }
    static var keepAccessFormat: String {
        say(
            en: "--keep-access: give days or weeks from today, e.g. 30d or 4w",
            da: "--keep-access: angiv dage eller uger fra i dag, f.eks. 30d eller 4w")
    }
}
