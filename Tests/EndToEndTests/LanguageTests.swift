import Foundation
import Testing

/// fieldcli speaks Danish or English as the locale says (`LC_ALL`, then `LC_MESSAGES`, then `LANG`), and the
/// export for the young person is in plain words of their language: no internal codes, dates written out.
@Suite("fieldcli in Danish and English", .serialized)
struct LanguageTests {
    let home: TemporaryDirectory
    let cli: CommandRunner

    init() throws {
        home = try TemporaryDirectory("language")
        cli = CommandRunner(environment: [
            "FIELDCLI_HOME": home.url.appendingPathComponent("store").path,
            "FIELDCLI_PASSPHRASE": "a long field passphrase",
            "USER": "mette",
            "TZ": "UTC",
        ])
        try expectSuccess(cli.run("fieldcli", ["init", "--kdf-cost", "12"]))
        try expectSuccess(
            cli.run(
                "fieldcli",
                [
                    "subject", "add", "ung-0142", "--name", "Sofie", "--status", "not-education-ready", "--consent",
                    "yes",
                ]))
        // A fixed date (in UTC) so the written-out dates are known; --yes because it may lie ahead or behind.
        try expectSuccess(
            cli.run(
                "fieldcli",
                [
                    "note", "add", "ung-0142", "Gik", "forbi", "teknisk", "skole", "-k", "walk", "-p", "havnen",
                    "--at", "2026-12-03 14:30", "-f", "2026-12-17", "--yes",
                ]))
        try expectSuccess(
            cli.run(
                "fieldcli",
                [
                    "note", "add", "ung-0142", "Hej", "igen", "--at", "2026-12-04 09:05", "--yes",
                ]))
    }

    func expectSuccess(_ result: CommandResult, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 0, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    }

    /// Runs fieldcli with exactly these locale variables (none of LC_ALL, LC_MESSAGES, LANG otherwise).
    func fieldcli(_ arguments: String..., locale: [String: String]) throws -> CommandResult {
        var runner = cli
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] { runner.environment.removeValue(forKey: name) }
        runner.environment.merge(locale) { _, new in new }
        return try runner.run("fieldcli", arguments)
    }

    static let danish = ["LANG": "da_DK.UTF-8"]

    @Test func danishLocaleGivesDanishMessages() throws {
        let missing = try fieldcli("note", "show", "ffffffff", locale: Self.danish)
        #expect(missing.status == 7)
        #expect(missing.stderr == "fieldcli: der er intet notat med id 'ffffffff'\n")

        let typo = try fieldcli("notes", "list", locale: Self.danish)
        #expect(typo.status == 64)
        #expect(typo.stderr.contains("ukendt kommando 'notes'") && typo.stderr.contains("mente du 'fieldcli note'"))

        let table = try fieldcli("note", "list", locale: Self.danish)
        expectSuccess(table)
        #expect(
            table.lines.first?.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                == ["ID", "HVORNÅR", "UNG", "TYPE", "SKREVET", "AF", "EMNEORD", "TEKST"])
        #expect(try fieldcli("subject", "show", "ung-0142", locale: Self.danish).stdout.contains("Samtykke   givet"))
        #expect(try fieldcli("search", "nowhere", locale: Self.danish).stdout == "Intet fundet.\n")
    }

    @Test func syncAndEnrolmentSpeakDanishToo() throws {
        let unenrolled = try fieldcli("sync", locale: Self.danish)
        #expect(unenrolled.status == 64)
        #expect(unenrolled.stderr.contains("enheden er ikke tilmeldt"), "\(unenrolled.stderr)")
        // Port 9 on loopback: nothing listens, the connection is refused at once.
        let offline = try fieldcli("enroll", "--server", "http://127.0.0.1:9", "--code", "X", locale: Self.danish)
        #expect(offline.status == 8)
        #expect(
            offline.stderr.contains("tilmeldingen mislykkedes: kan ikke nå http://127.0.0.1:9"), "\(offline.stderr)")
        let english = try fieldcli("sync", locale: ["LANG": "C.UTF-8"])
        #expect(english.stderr.contains("this device is not enrolled"))

        let status = try fieldcli("status", locale: Self.danish)
        expectSuccess(status)
        #expect(status.stdout.contains("Ikke synkroniseret"), "\(status.stdout)")
        #expect(status.stdout.contains("Server            ikke tilmeldt"), "\(status.stdout)")
        #expect(try fieldcli("status", locale: ["LANG": "C.UTF-8"]).stdout.contains("Server            not enrolled"))
    }

    @Test func theExportIsInPlainDanish() throws {
        let export = try fieldcli("export", "--subject", "ung-0142", locale: Self.danish)
        expectSuccess(export)
        let text = export.stdout
        #expect(text.hasPrefix("# Sofie (ung-0142)\n\nHer er det, vi har skrevet om dig og dit forløb."))
        #expect(text.contains("- Hvor du står nu: Endnu ikke uddannelsesparat\n"))
        #expect(text.contains("- Dit samtykke: givet og noteret\n"))
        #expect(text.contains("## 3. december 2026 kl. 14.30 — Gåtur sammen\n"))
        #expect(text.contains("## 4. december 2026 kl. 09.05 — Uformel kontakt\n"))
        #expect(text.contains("*Skrevet af mette; sted: havnen; vi følger op senest 17. december 2026*"))
        // No internal code and no ISO date reaches the young person.
        for code in ["not-education-ready", "walk", "informal", "2026-12-03", "2026-12-17"] {
            #expect(!text.contains(code), "\(code) in:\n\(text)")
        }
    }

    @Test func otherLocalesGiveEnglish() throws {
        for locale in [["LANG": "C.UTF-8"], [:], ["LANG": "en_GB.UTF-8"], ["LANG": "sv_SE.UTF-8"]] {
            let missing = try fieldcli("note", "show", "ffffffff", locale: locale)
            #expect(missing.stderr == "fieldcli: no note with id 'ffffffff'\n", "\(locale)")
            #expect(try fieldcli("note", "list", locale: locale).lines.first?.hasPrefix("ID        WHEN") == true)
            let export = try fieldcli("export", "--subject", "ung-0142", locale: locale).stdout
            #expect(export.contains("- Where you stand now: Not yet ready to start an education\n"), "\(locale)")
            #expect(export.contains("## 3 December 2026 at 14:30 — Walk together\n"))
            #expect(export.contains("## 4 December 2026 at 09:05 — Informal contact\n"))
            #expect(export.contains("*Written by mette; where: havnen; we follow up by 17 December 2026*"))
            #expect(!export.contains("not-education-ready") && !export.contains("informal"))
        }
    }

    @Test func lcAllOverridesLCMessagesWhichOverridesLang() throws {
        let english = "fieldcli: no note with id 'ffffffff'\n"
        let danish = "fieldcli: der er intet notat med id 'ffffffff'\n"
        let cases: [([String: String], String)] = [
            (["LC_ALL": "C", "LANG": "da_DK.UTF-8"], english),
            (["LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "da_DK.UTF-8", "LANG": "da_DK.UTF-8"], english),
            (["LC_ALL": "da_DK.UTF-8", "LANG": "C.UTF-8"], danish),
            (["LC_MESSAGES": "da_DK.UTF-8", "LANG": "en_US.UTF-8"], danish),
            (["LC_MESSAGES": "C", "LANG": "da_DK.UTF-8"], english),
            // An empty variable counts as unset.
            (["LC_ALL": "", "LC_MESSAGES": "", "LANG": "da"], danish),
        ]
        for (locale, expected) in cases {
            #expect(try fieldcli("note", "show", "ffffffff", locale: locale).stderr == expected, "\(locale)")
        }
    }

    @Test func onATerminalTheQuestionIsDanishAndJaIsYes() throws {
        let added = try fieldcli("note", "add", "ung-0142", "Slet", "mig", locale: Self.danish)
        let id = String(added.stdout.trimmingCharacters(in: .whitespacesAndNewlines).prefix(8))
        var environment = cli.environment.merging(Self.danish) { _, new in new }
        environment["TERM"] = "xterm"
        let terminal = try PseudoTerminalProcess(
            BuiltProducts.url("fieldcli"), ["note", "delete", id], environment: environment)
        #expect(terminal.waitForOutput("Slet dette notat på alle enheder i dit team? [j/N]"), "\(terminal.screen)")
        terminal.type("ja\n")
        #expect(terminal.waitForExit().map(shellStatus) == 0)
        #expect(
            terminal.waitForOutput("Slettet: \(id). Fortryd med: fieldcli note restore \(id)"),
            "\(terminal.screen)")
    }

    @Test func theExportCanBeWrittenInTheYoungPersonsLanguage() throws {
        let english = try fieldcli("export", "--subject", "ung-0142", "--language", "en", locale: Self.danish)
        #expect(english.stdout.contains("— Walk together"))
        let danish = try fieldcli("export", "--subject", "ung-0142", "--language", "da", locale: ["LANG": "C"])
        #expect(danish.stdout.contains("— Gåtur sammen"))
        // JSON is for programs: the recorded values, whatever the language.
        let json = try fieldcli("export", "--subject", "ung-0142", "--format", "json", locale: Self.danish)
        #expect(json.stdout.contains("\"kind\" : \"walk\""))
    }
}
