import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// End-to-end tests of the real `fieldcli` executable.
@Suite("fieldcli end to end", .serialized)
struct FieldCLITests {
    let home: TemporaryDirectory
    let cli: CommandRunner

    init() throws {
        home = try TemporaryDirectory("cli")
        cli = CommandRunner(environment: [
            "FIELDCLI_HOME": home.url.appendingPathComponent("store").path,
            "FIELDCLI_PASSPHRASE": "a long field passphrase",
            "USER": "mette",
        ])
    }

    @discardableResult
    func fieldcli(_ arguments: String..., stdin: String? = nil, env: [String: String] = [:]) throws -> CommandResult {
        try cli.run("fieldcli", arguments, stdin: stdin, extraEnvironment: env)
    }

    func expectSuccess(_ result: CommandResult, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 0, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test func theOfflineStory() throws {
        expectSuccess(try fieldcli("init", "--kdf-cost", "12", "--device-name", "laptop"))
        expectSuccess(try fieldcli("subject", "add", "ung-0142", "--name", "Sofie", "--consent", "yes"))

        let added = try fieldcli(
            "note", "add", "--subject", "ung-0142", "--kind", "walk", "--tag", "housing", "--tag", "education-ready",
            "--place", "harbour", "--at", "-2h", "--follow-up", "+14d", "--text", "Walked past the technical college")
        expectSuccess(added)
        let id = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 32)

        // The body comes from standard input when it is not a terminal.
        let piped = try fieldcli(
            "note", "add", "--subject", "ung-0142", "--kind", "phone",
            stdin: "Called about the interview\nShe will go on Monday\n")
        expectSuccess(piped)
        let pipedID = piped.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let list = try fieldcli("note", "list", "--subject", "ung-0142", "--json")
        expectSuccess(list)
        let notes = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as! [[String: Any]]
        #expect(notes.count == 2)
        #expect(Set(notes.compactMap { $0["id"] as? String }) == [id, pipedID])

        let table = try fieldcli("note", "list", "--tag", "housing")
        expectSuccess(table)
        #expect(table.lines.count == 2)
        #expect(table.lines[0].hasPrefix("ID"))
        #expect(table.stdout.contains("Walked past"))

        let show = try fieldcli("note", "show", String(id.prefix(7)))
        expectSuccess(show)
        #expect(show.stdout.contains("Walked past the technical college"))
        #expect(show.stdout.contains("harbour"))

        let search = try fieldcli("search", "technic", "--json")
        expectSuccess(search)
        #expect(search.stdout.contains(id))
        #expect(!search.stdout.contains(pipedID))

        expectSuccess(try fieldcli("note", "edit", String(id.prefix(8)), "--append", "Next: visit on Thursday"))
        let shown = try fieldcli("note", "show", id, "--json")
        #expect(shown.stdout.contains("Next: visit on Thursday"))

        let export = try fieldcli("export", "--subject", "ung-0142")
        expectSuccess(export)
        #expect(export.stdout.hasPrefix("# Sofie (ung-0142)"))
        #expect(export.stdout.contains("Called about the interview"))
        let exportJSON = try fieldcli("export", "--subject", "ung-0142", "--format", "json")
        #expect(exportJSON.status == 0)
        #expect(try JSONSerialization.jsonObject(with: Data(exportJSON.stdout.utf8)) is [String: Any])

        // Deleting asks first: without a terminal it needs --yes, and a too-short prefix is refused.
        #expect(try fieldcli("note", "delete", String(pipedID.prefix(3)), "--yes").status == 64)
        let unasked = try fieldcli("note", "delete", pipedID)
        #expect(unasked.status == 64)
        #expect(unasked.stderr.contains("--yes"))
        #expect(try fieldcli("note", "list", "--json").stdout.contains(pipedID))
        let deleted = try fieldcli("note", "delete", String(pipedID.prefix(6)), "--yes")
        expectSuccess(deleted)
        #expect(deleted.stdout.contains("fieldcli note restore"))
        #expect(try fieldcli("note", "list", "--json").stdout.contains(pipedID) == false)
        expectSuccess(try fieldcli("note", "restore", String(pipedID.prefix(6))))
        #expect(try fieldcli("note", "show", pipedID).stdout.contains("Called about the interview"))
        expectSuccess(try fieldcli("note", "delete", pipedID, "--yes"))
        #expect(try fieldcli("note", "restore", "ffffffff").status == 7)

        // Terminal control sequences in a (synced) note are shown, never sent to the terminal.
        let hostile = try fieldcli(
            "note", "add", "--subject", "ung-0142", "--kind", "sms",
            "--text", "ok\u{1B}]0;retitled\u{07} and \u{9B}2J")
        expectSuccess(hostile)
        let hostileID = hostile.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for output in [try fieldcli("note", "show", hostileID), try fieldcli("note", "list")] {
            #expect(!output.stdout.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{9B}" || $0 == "\u{07}" })
            #expect(output.stdout.contains("^[]0;retitled^G"))
        }
        expectSuccess(try fieldcli("verify"))
    }

    @Test func aQuickNoteIsOneShortCommand() throws {
        expectSuccess(try fieldcli("init", "--kdf-cost", "12"))
        expectSuccess(try fieldcli("subject", "add", "ung-0142"))
        let quick = try fieldcli("note", "add", "ung-0142", "Texted", "about", "#Housing,", "see", "you", "-f", "3/12")
        expectSuccess(quick)
        let id = quick.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown =
            try JSONSerialization.jsonObject(
                with: Data(try fieldcli("note", "show", id, "--json").stdout.utf8)) as? [String: Any]
        #expect(shown?["body"] as? String == "Texted about #Housing, see you")
        #expect(shown?["tags"] as? [String] == ["housing"])
        #expect(shown?["kind"] as? String == "informal")
        let followUp = try #require(shown?["followUp"] as? String)
        #expect(followUp.contains("-12-03"), "3/12 is the 3rd of December: \(followUp)")

        // A follow-up in the past is most likely a typo: without a terminal to ask on, it needs --yes.
        let past = try fieldcli("note", "add", "ung-0142", "late", "-f", "2020-01-01")
        #expect(past.status == 64)
        #expect(past.stderr.contains("in the past") && past.stderr.contains("--yes"))
        expectSuccess(try fieldcli("note", "add", "ung-0142", "late", "-f", "2020-01-01", "--yes", "-k", "phone"))

        // It stays due until someone marks it done; a later note does not close it.
        let pastID = try fieldcli("note", "list", "--kind", "phone", "--json")
        let notes = try JSONSerialization.jsonObject(with: Data(pastID.stdout.utf8)) as? [[String: Any]] ?? []
        let lateID = try #require(notes.first?["id"] as? String)
        expectSuccess(try fieldcli("note", "add", "ung-0142", "a later sms", "-k", "sms"))
        #expect(try fieldcli("followups").stdout.contains(String(lateID.prefix(8))))
        expectSuccess(try fieldcli("note", "add", "ung-0142", "called back", "--closes", String(lateID.prefix(8))))
        #expect(try fieldcli("followups").stdout.contains("No follow-ups due."))
        #expect(try fieldcli("followups", "--all").stdout.contains(String(id.prefix(8))))
    }

    @Test func passwdWrongPassphraseAndErrorsHaveDocumentedExitCodes() throws {
        expectSuccess(try fieldcli("init", "--kdf-cost", "12"))
        expectSuccess(try fieldcli("subject", "add", "ung-1"))

        let wrong = try fieldcli("subject", "list", env: ["FIELDCLI_PASSPHRASE": "wrong"])
        #expect(wrong.status == 3)
        #expect(wrong.stderr.split(separator: "\n").count == 1)
        #expect(wrong.stderr.contains("wrong passphrase"))

        let passwd = try fieldcli("passwd", env: ["FIELDCLI_NEW_PASSPHRASE": "the new passphrase"])
        expectSuccess(passwd)
        #expect(try fieldcli("subject", "list").status == 3)
        let after = try fieldcli("subject", "list", env: ["FIELDCLI_PASSPHRASE": "the new passphrase"])
        expectSuccess(after)
        #expect(after.stdout.contains("ung-1"))

        // A passphrase file works and its trailing newline is not part of the passphrase.
        let file = home.url.appendingPathComponent("pass.txt")
        try Data("the new passphrase\n".utf8).write(to: file)
        // A file others can read is refused, as ssh refuses such keys.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        let readable = try fieldcli("subject", "list", "--passphrase-file", file.path)
        #expect(readable.status == 64)
        #expect(readable.stderr.contains("chmod 600"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        expectSuccess(
            try fieldcli("subject", "list", "--passphrase-file", file.path, env: ["FIELDCLI_PASSPHRASE": "x"]))

        let newPassphrase = ["FIELDCLI_PASSPHRASE": "the new passphrase"]
        let usage = try fieldcli(
            "note", "add", "--subject", "ung-1", "--kind", "teleport", "--text", "x", env: newPassphrase)
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("teleport"))
        // A mistyped command word is named as such, with the nearest command.
        let typo = try fieldcli("notes", "add", "--subject", "ung-1", "--text", "x")
        #expect(typo.status == 64)
        #expect(typo.stderr.contains("unknown command 'notes'") && typo.stderr.contains("did you mean 'fieldcli note'"))
        let missing = try fieldcli("note", "show", "ffff", env: newPassphrase)
        #expect(missing.status == 7)
        let noStore = try fieldcli("subject", "list", "--store", home.url.appendingPathComponent("nowhere").path)
        #expect(noStore.status == 5)
        #expect(try fieldcli("init", "--kdf-cost", "12").status == 1)
    }

    @Test func aDamagedStoreIsReportedWithItsOwnExitCode() throws {
        expectSuccess(try fieldcli("init", "--kdf-cost", "12"))
        expectSuccess(try fieldcli("subject", "add", "ung-1"))
        for index in 0..<20 {
            expectSuccess(try fieldcli("note", "add", "--subject", "ung-1", "--kind", "sms", "--text", "sms \(index)"))
        }
        let db = home.url.appendingPathComponent("store/store.db")
        var bytes = try Data(contentsOf: db)
        try #require(bytes.count > 3 * 4096)
        bytes[4096 + 2048] ^= 0x10
        try bytes.write(to: db)
        let verify = try fieldcli("verify")
        #expect(verify.status == 4, "stdout: \(verify.stdout) stderr: \(verify.stderr)")
        #expect(verify.stderr.contains("damaged"))
    }

    @Test func aKilledWriterLosesNoCommittedNote() throws {
        expectSuccess(try fieldcli("init", "--kdf-cost", "12"))
        expectSuccess(try fieldcli("subject", "add", "ung-1"))
        var committed: [String] = []
        for round in 0..<3 {
            let writer = try RunningProcess(
                BuiltProducts.url("fieldcli"), ["debug", "write-burst", "--subject", "ung-1"],
                environment: cli.environment)
            // Kill it in the middle of the burst: once it has acknowledged some writes (however slow the
            // machine; at most 60 s, even if it prints nothing), after a round-dependent extra moment.
            writer.wait(within: 60) { $0.lineCount >= 5 * (round + 1) }
            Thread.sleep(forTimeInterval: 0.05 * Double(round))
            writer.kill(SIGKILL)
            let printed = writer.output.text
            // The last line may be cut off mid-id by the kill; only whole ids were committed and printed.
            committed += printed.split(separator: "\n").map(String.init).filter { $0.count == 32 }
        }
        #expect(committed.count > 10)
        expectSuccess(try fieldcli("verify"))
        let list = try fieldcli("note", "list", "--json")
        expectSuccess(list)
        let stored = Set(
            (try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as! [[String: Any]])
                .compactMap { $0["id"] as? String })
        let lost = committed.filter { !stored.contains($0) }
        #expect(lost.isEmpty, "\(lost.count) committed notes lost")
    }
}

/// `fieldcli init` killed at any moment leaves no store or a whole one, and the next `init` succeeds.
@Suite("init killed midway")
struct InterruptedInitTests {
    @Test(arguments: 0..<8)
    func aKilledInitLeavesNothingThatBlocksTheNext(seed: Int) throws {
        let home = try TemporaryDirectory("init-\(seed)")
        let store = home.url.appendingPathComponent("store")
        let cli = CommandRunner(environment: ["FIELDCLI_HOME": store.path, "FIELDCLI_PASSPHRASE": "a passphrase"])
        let process = try RunningProcess(
            BuiltProducts.url("fieldcli"), ["init", "--kdf-cost", "14"], environment: cli.environment)
        // The kill lands at a different step of init for each seed: as soon as a file of that step shows up
        // (or the process ends first), so every step is hit without guessing at timings.
        let steps: [(String) -> Bool] = [
            { _ in true },  // at once
            { $0.hasPrefix(".store.init-") },  // the staging directory
            { $0 == "store.key" },  // the key file, inside it
            { $0 == "store.db" },  // the database
            { $0 == "store.db-wal" },  // its log: schema and meta being written
            { $0 == "store" },  // renamed into place
        ]
        let step = steps[seed % steps.count]
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline, !Self.files(under: home.url).contains(where: step) {
            sched_yield()
        }
        process.kill(SIGKILL)

        let names = (try? FileManager.default.contentsOfDirectory(atPath: store.path)) ?? []
        let whole = names.contains("store.db") && names.contains("store.key")
        #expect(whole || !names.contains("store.db"), "a database without its key: \(names)")
        if whole {
            #expect(try cli.run("fieldcli", ["subject", "list"]).status == 0, "a complete-looking store does not open")
        } else {
            let again = try cli.run("fieldcli", ["init", "--kdf-cost", "12"])
            #expect(again.status == 0, "init after a kill: \(again.stderr)")
        }
        #expect(try cli.run("fieldcli", ["subject", "add", "ung-1"]).status == 0)
        // No build directory is left beside the store once a later init has run.
        let siblings = try FileManager.default.contentsOfDirectory(atPath: home.path)
        #expect(siblings.filter { $0.hasPrefix(".store.init-") }.isEmpty || whole, "\(siblings)")
    }

    /// The names of the files and directories under `root`, one level into its subdirectories.
    static func files(under root: URL) -> [String] {
        let names = { (url: URL) in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] }
        let top = names(root)
        return top + top.flatMap { names(root.appendingPathComponent($0)) }
    }
}
