import Foundation

/// `fieldcli status`, in both languages: one label and value per line, labels padded to one column.
extension Text {
    enum Status {}
}

extension Text.Status {
    private static func say(en english: @autoclosure () -> String, da danish: @autoclosure () -> String) -> String {
        Text.say(en: english(), da: danish())
    }

    /// A status line: the label padded to the widest label of either language, then the value.
    static func line(_ label: String, _ value: String) -> String {
        label.padding(toLength: max(18, label.count + 1), withPad: " ", startingAt: 0) + value
    }

    static func unlockedUntil(_ until: String, idleUntil: String?) -> String {
        line(
            say(en: "Unlocked until", da: "Låst op til"),
            until + (idleUntil.map { say(en: ", or \($0) if unused", da: ", eller \($0) hvis den ikke bruges") } ?? ""))
    }
    static var notUnlocked: String {
        line(
            say(en: "Unlocked", da: "Låst op"),
            say(
                en: "no ('fieldcli unlock' asks once for the day)",
                da: "nej ('fieldcli unlock' spørger én gang om dagen)"))
    }
    static func unsynced(_ count: Int) -> String {
        line(say(en: "Unsynced changes", da: "Ikke synkroniseret"), "\(count)")
    }
    static func lastSync(_ when: String?) -> String {
        line(say(en: "Last sync", da: "Sidste synkr."), when ?? say(en: "never", da: "aldrig"))
    }
    static func server(_ url: String?) -> String {
        line(say(en: "Server", da: "Server"), url ?? say(en: "not enrolled", da: "ikke tilmeldt"))
    }
    static func team(_ name: String) -> String { line(say(en: "Team", da: "Team"), name) }
    static func device(_ id: String) -> String { line(say(en: "Device", da: "Enhed"), id) }
    static func replica(_ id: String) -> String { line(say(en: "Replica", da: "Replika"), id) }
    static func conflicts(_ count: Int) -> String {
        line(
            say(en: "Conflicts", da: "Konflikter"),
            "\(count)" + (count > 0 ? say(en: " (see 'fieldcli conflicts')", da: " (se 'fieldcli conflicts')") : ""))
    }
    static func setAside(_ count: Int) -> String {
        line(
            say(en: "Set aside", da: "Lagt til side"),
            "\(count)"
                + (count > 0
                    ? say(
                        en: " (access ended before they synced; see 'fieldcli status --set-aside')",
                        da: " (adgangen ophørte, før de blev synkroniseret; se 'fieldcli status --set-aside')")
                    : ""))
    }
    static func duplicates(_ count: Int) -> String {
        line(
            say(en: "Duplicates", da: "Dubletter"),
            say(
                en: "\(count) young \(count == 1 ? "person has" : "people have") duplicate subjects (see "
                    + "'fieldcli subject list', then 'fieldcli subject merge KEEP OTHER')",
                da: "\(count) \(count == 1 ? "ung har" : "unge har") dublerede forløb (se 'fieldcli subject list', "
                    + "derefter 'fieldcli subject merge BEHOLD ANDEN')"))
    }
    /// The store was refused as rolled back and has not continued as a new replica yet.
    static var rolledBack: String {
        line(
            say(en: "Restored copy", da: "Genskabt kopi"),
            say(
                en: "the server has later changes from this device: run 'fieldcli enroll' with a new code, then "
                    + "'fieldcli sync' (nothing is lost)",
                da: "serveren har nyere ændringer fra denne enhed: kør 'fieldcli enroll' med en ny kode og derefter "
                    + "'fieldcli sync' (intet går tabt)"))
    }
}
