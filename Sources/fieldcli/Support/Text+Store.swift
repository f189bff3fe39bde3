import Foundation
import LocalStore

/// The store, its passphrase, the unlock agent and the editor, in both languages.
extension Text {
    // MARK: the store's errors

    /// A store error in one line. The English line is the store's own; the Danish one is written here, a case at a
    /// time, so a new case does not compile without its Danish. The sentences of `invalidInput` and `io` are the
    /// store's, in English.
    static func storeError(_ error: LocalStoreError) -> String {
        say(en: error.errorDescription ?? "\(error)", da: danish(error))
    }

    private static func danish(_ error: LocalStoreError) -> String {
        switch error {
        case .wrongPassphrase:
            return "forkert adgangskode: lageret blev ikke låst op, og intet er ændret"
        case .damaged(let detail):
            return "lageret er beskadiget eller har været manipuleret (\(detail))"
        case .storeMissing(let url):
            return "der er intet lager i \(url.path) (opret et med 'fieldcli init')"
        case .storeAlreadyExists(let url):
            return "der findes allerede et lager i \(url.path)"
        case .lockedByAnotherProcess(let url):
            return "lageret i \(url.path) er i brug af en anden proces"
        case .closed:
            return "lageret er lukket"
        case .notFound(let kind, let id):
            return "der er \(danishThing(kind)) med id '\(id)'"
        case .ambiguousID(let prefix, let matches):
            return "id-præfikset '\(prefix)' er tvetydigt: det passer på \(matches.prefix(5).joined(separator: ", "))"
        case .invalidInput(let message):
            return message
        case .duplicateSubject(let ids):
            // Ids only, as in English: the reference is what the person typed, and this line may end up in a log.
            let short = ids.map { String($0.prefix(8)) }
            return "referencen dækker over \(ids.count) unge (dubletter fra forskellige enheder); læg dem først "
                + "sammen med 'fieldcli subject merge \(short.prefix(2).joined(separator: " "))', "
                + "eller angiv én ved dens id (\(short.joined(separator: ", ")))"
        case .changedMeanwhile(let id, _):
            return "notat \(id.prefix(8)) blev ændret i de samme linjer, mens det blev redigeret; intet er gemt"
        case .diskFull:
            return "disken er fuld: intet er gemt (det, der var gemt før, er intakt); "
                + "frigør noget plads, og prøv igen"
        case .io(let message):
            return message
        }
    }

    /// What the store could not find, in Danish (the store names it in English).
    private static func danishThing(_ kind: String) -> String {
        switch kind {
        case "subject": return "ingen ung"
        case "note": return "intet notat"
        case "deleted note": return "intet slettet notat"
        case "conflict": return "ingen konflikt"
        case "record": return "ingen post"
        default: return "intet (\(kind))"
        }
    }

    // MARK: the passphrase

    static var promptPassphrase: String { say(en: "Passphrase: ", da: "Adgangskode: ") }
    static var promptNewPassphrase: String { say(en: "New passphrase: ", da: "Ny adgangskode: ") }
    static var promptCurrentPassphrase: String { say(en: "Current passphrase: ", da: "Nuværende adgangskode: ") }
    static var promptRepeat: String { say(en: "Repeat: ", da: "Gentag: ") }
    static func passphraseFileOpen(_ file: String, mode: String) -> String {
        say(
            en: "the passphrase file \(file) can be read by others (mode \(mode)); run 'chmod 600 \(file)'",
            da: "adgangskodefilen \(file) kan læses af andre (tilstand \(mode)); kør 'chmod 600 \(file)'")
    }
    static func passphraseFileUnreadable(_ file: String) -> String {
        say(en: "cannot read the passphrase file \(file)", da: "adgangskodefilen \(file) kan ikke læses")
    }
    static func noPassphrase(_ variable: String) -> String {
        say(
            en: "no passphrase: not on a terminal; set $\(variable) or use --passphrase-file",
            da: "ingen adgangskode: ikke på en terminal; sæt $\(variable) eller brug --passphrase-file")
    }
    static var passphrasesDiffer: String {
        say(en: "the passphrases do not match", da: "de to adgangskoder er ikke ens")
    }
    static var passphraseEmpty: String { say(en: "the passphrase is empty", da: "adgangskoden er tom") }

    // MARK: init, passwd, verify

    static var removedInterruptedKey: String {
        say(
            en: "removed the key file an interrupted 'fieldcli init' left (it had no database)",
            da: "fjernede nøglefilen, som en afbrudt 'fieldcli init' efterlod (der var ingen database)")
    }
    static func created(_ path: String, adviser: String, replica: String) -> String {
        say(
            en: "Created an encrypted store at \(path) (adviser \(adviser), replica \(replica)).",
            da: "Oprettede et krypteret lager i \(path) (vejleder \(adviser), replika \(replica)).")
    }
    static var kdfCostRange: String {
        say(en: "--kdf-cost must be between 12 and 22", da: "--kdf-cost skal være mellem 12 og 22")
    }
    static var passphraseChanged: String { say(en: "Passphrase changed.", da: "Adgangskoden er ændret.") }
    static func rebuildDidNotHelp(_ problems: String) -> String {
        say(en: "the rebuild did not help: \(problems)", da: "genopbygningen hjalp ikke: \(problems)")
    }
    static func rebuilt(_ count: Int) -> String {
        say(
            en: "Rebuilt the search index and lists from \(count) records. The store is intact.",
            da: "Søgeindekset og listerne er genopbygget ud fra \(count) poster. Lageret er intakt.")
    }
    static var intact: String { say(en: "The store is intact.", da: "Lageret er intakt.") }
    static func derivedDataProblems(_ problems: String) -> String {
        say(
            en: "the notes are intact, but \(problems): run 'fieldcli verify --repair'",
            da: "notaterne er intakte, men \(problems): kør 'fieldcli verify --repair'")
    }

    // MARK: unlock and lock

    static func unlocked(until: String, idleMinutes: UInt64) -> String {
        say(
            en: "Unlocked until \(until) (locks after \(idleMinutes) min without use; 'fieldcli lock' locks now).",
            da: "Låst op til \(until) (låses efter \(idleMinutes) min uden brug; 'fieldcli lock' låser nu).")
    }
    static var notUnlocked: String { say(en: "Not unlocked.", da: "Ikke låst op.") }
    static var locked: String { say(en: "Locked.", da: "Låst.") }
    static var agentCannotStart: String {
        say(en: "cannot start the unlock agent (pipe)", da: "oplåsningsagenten kan ikke startes (pipe)")
    }
    static func agentCannotStart(_ reason: String) -> String {
        say(en: "cannot start the unlock agent: \(reason)", da: "oplåsningsagenten kan ikke startes: \(reason)")
    }
    static var agentDidNotStart: String {
        say(
            en: "the unlock agent did not start; commands will ask for the passphrase",
            da: "oplåsningsagenten startede ikke; kommandoerne vil spørge efter adgangskoden")
    }
    static var agentNotRunning: String {
        say(en: "the unlock agent is not running", da: "oplåsningsagenten kører ikke")
    }
    static var agentRefusedKey: String {
        say(en: "the unlock agent did not take the key", da: "oplåsningsagenten tog ikke imod nøglen")
    }
    static var agentCannotAllocate: String {
        say(en: "cannot allocate the agent's memory", da: "agentens hukommelse kan ikke tildeles")
    }
    static func agentCannotLockMemory(_ reason: String) -> String {
        say(
            en: "cannot lock the agent's memory (mlock: \(reason))",
            da: "agentens hukommelse kan ikke låses (mlock: \(reason))")
    }
    static var agentAlreadyRunning: String {
        say(en: "an unlock agent is already running", da: "en oplåsningsagent kører allerede")
    }
    static func agentCannotListen(_ path: String, reason: String) -> String {
        say(en: "cannot listen on \(path): \(reason)", da: "kan ikke lytte på \(path): \(reason)")
    }
    static func notPrivate(_ path: String) -> String {
        say(
            en: "\(path) is not a private directory of yours; the unlock agent is not used",
            da: "\(path) er ikke din egen private mappe; oplåsningsagenten bruges ikke")
    }
    static func cannotCreate(_ path: String, reason: String) -> String {
        say(en: "cannot create \(path): \(reason)", da: "\(path) kan ikke oprettes: \(reason)")
    }
    static var noRuntimeDirectory: String {
        say(
            en: "no private runtime directory (set $XDG_RUNTIME_DIR to a 0700 directory of yours)",
            da: "ingen privat runtime-mappe (sæt $XDG_RUNTIME_DIR til en mappe, du ejer, med rettighederne 0700)")
    }

    // MARK: the editor

    static func editorFailed(_ command: String, status: Int32) -> String {
        say(
            en: "the editor (\(command)) exited with status \(status); nothing saved",
            da: "editoren (\(command)) sluttede med status \(status); intet er gemt")
    }
    static func editorKilled(_ signal: Int32) -> String {
        say(
            en: "the editor was stopped by signal \(signal); nothing saved",
            da: "editoren blev stoppet af signal \(signal); intet er gemt")
    }
    static var interruptedWhileEditing: String {
        say(
            en: "interrupted while editing; nothing saved, the draft is removed",
            da: "afbrudt under redigeringen; intet er gemt, og kladden er slettet")
    }
    static func cannotWaitForEditor(_ reason: String) -> String {
        say(en: "cannot wait for the editor: \(reason)", da: "kan ikke vente på editoren: \(reason)")
    }
    static func cannotStartEditor(_ command: String, reason: String) -> String {
        say(
            en: "cannot start the editor (\(command)): \(reason)",
            da: "editoren (\(command)) kan ikke startes: \(reason)")
    }
    static func cannotCreateDraftDirectory(_ reason: String) -> String {
        say(
            en: "cannot create a private directory for the draft: \(reason)",
            da: "der kan ikke oprettes en privat mappe til kladden: \(reason)")
    }
    static func cannotWriteDraft(_ reason: String) -> String {
        say(en: "cannot write the draft: \(reason)", da: "kladden kan ikke skrives: \(reason)")
    }
    static var draftNotWritten: String {
        say(
            en: "cannot write the draft (disk full?); nothing saved",
            da: "kladden kan ikke skrives (er disken fuld?); intet er gemt")
    }
    static var editorLeftNoFile: String {
        say(en: "the editor left no file; nothing saved", da: "editoren efterlod ingen fil; intet er gemt")
    }
    static var editedNotUTF8: String {
        say(en: "the edited text is not UTF-8; nothing saved", da: "den redigerede tekst er ikke UTF-8; intet er gemt")
    }
}
