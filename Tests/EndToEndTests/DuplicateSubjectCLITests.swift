import Foundation
import Testing

/// Two real `fieldcli` devices that each create the same young person offline, synced through a real
/// `sync-server`: the duplicates are marked, every read shows both, a note needing one subject is refused, and
/// `subject merge` folds them on both devices.
@Suite("Duplicate subjects end to end", .serialized)
struct DuplicateSubjectCLITests: FieldCLIDevices {
    let home: TemporaryDirectory
    let cli: CommandRunner

    init() throws {
        home = try TemporaryDirectory("duplicates")
        cli = Self.makeRunner()
    }

    @Test func duplicatesAreMarkedReadTogetherAndMerged() throws {
        let server = try SyncServerProcess()
        defer { server.stop() }
        try server.admin("create-team", "north")
        try server.admin("add-adviser", "--team", "north", "mette")
        try server.admin("add-adviser", "--team", "north", "lars")
        try on("a", "init", "--adviser", "mette", "--kdf-cost", "12")
        try on("b", "init", "--adviser", "lars", "--kdf-cost", "12")
        try on("a", "enroll", "--server", server.url, "--code", try server.enrolmentCode(adviser: "mette"))
        try on("b", "enroll", "--server", server.url, "--code", try server.enrolmentCode(adviser: "lars"))

        // Offline, each adviser creates ung-0142 and writes a note.
        let keep = try on("a", "subject", "add", "ung-0142", "--name", "Sofie", "--goals", "Finish 9th grade")
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let other = try on("b", "subject", "add", "ung-0142", "--next-step", "Visit the workshop")
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try on("a", "note", "add", "ung-0142", "Walked", "past", "the", "school")
        try on("b", "note", "add", "ung-0142", "Called", "about", "the", "workshop")
        try on("a", "sync")
        try on("b", "sync")
        let synced = try on("a", "sync")
        #expect(synced.stdout.contains("1 young person has duplicate subjects"))

        // Marked in the list and in its JSON, counted by status.
        let list = try on("a", "subject", "list")
        #expect(list.lines.filter { $0.contains("duplicate of") }.count == 2)
        #expect(list.stdout.contains("duplicate of \(other.prefix(8))"))
        let listed = try json(try on("a", "subject", "list", "--json")) as! [[String: Any]]
        #expect(listed.count == 2)
        #expect(listed.first { $0["id"] as? String == keep }?["duplicates"] as? [String] == [other])
        #expect(try on("a", "status").stdout.contains("1 young person has duplicate subjects"))

        // Reads name both: the notes of both, the export of both.
        let notes = try json(try on("a", "note", "list", "--subject", "ung-0142", "--json")) as! [[String: Any]]
        #expect(
            Set(notes.compactMap { $0["body"] as? String }) == [
                "Walked past the school",
                "Called about the workshop",
            ])
        let export = try on("a", "export", "--subject", "ung-0142")
        #expect(export.stdout.contains("Walked past the school"))
        #expect(export.stdout.contains("Called about the workshop"))
        #expect(export.stdout.contains("Visit the workshop"))

        // A note needs one subject: refused with the ids and the merge command, nothing saved.
        let refused = try on("a", "note", "add", "ung-0142", "Sent", "the", "address", expect: 64)
        #expect(refused.stderr.contains("fieldcli subject merge"))
        #expect(refused.stderr.contains(String(keep.prefix(8))) && refused.stderr.contains(String(other.prefix(8))))
        #expect(!refused.stderr.contains("ung-0142"))
        #expect(refused.stderr.split(separator: "\n").count == 1)

        // Without a terminal, the merge needs --yes.
        try on("a", "subject", "merge", String(keep.prefix(8)), String(other.prefix(8)), expect: 64)
        let merged = try on("a", "subject", "merge", String(keep.prefix(8)), String(other.prefix(8)), "--yes")
        #expect(merged.stdout.hasPrefix("Merged \(other.prefix(8)) into \(keep.prefix(8))"))
        #expect(merged.stdout.contains("1 note(s) moved"))
        #expect(merged.stdout.contains("took nextStep"))
        #expect(merged.stdout.contains("did not take the other's responsibleAdviser"))
        #expect(!merged.stdout.contains("lars"))
        #expect(merged.lines.count == 1)

        // Both devices converge on one subject with both notes.
        try on("a", "sync")
        let late = try on("b", "sync")
        #expect(!late.stdout.contains("duplicate"))
        for device in ["a", "b"] {
            let subjects = try json(try on(device, "subject", "list", "--json")) as! [[String: Any]]
            #expect(subjects.compactMap { $0["id"] as? String } == [keep])
            #expect(subjects.first?["nextStep"] as? String == "Visit the workshop")
            let both = try json(try on(device, "note", "list", "--subject", "ung-0142", "--json")) as! [[String: Any]]
            #expect(both.count == 2)
            #expect(both.allSatisfy { $0["subjectID"] as? String == keep })
            #expect(!(try on(device, "status").stdout.contains("duplicate")))
        }
        try on("b", "note", "add", "ung-0142", "Sent", "the", "address")
    }

    @Test func onATerminalTheMergeShowsBothAndAsks() throws {
        let store = home.url.appendingPathComponent("t").path
        try on("t", "init", "--adviser", "mette", "--kdf-cost", "12")
        let keep = try on("t", "subject", "add", "ung-0142", "--status", "in-education")
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let other = try on("t", "subject", "add", "ung-142", "--name", "Jonas")
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try on("t", "note", "add", "ung-142", "Walked", "to", "the", "harbour")
        let environment = [
            "PATH": "/usr/bin:/bin", "HOME": home.url.path, "LANG": "C.UTF-8", "TERM": "xterm",
            "FIELDCLI_PASSPHRASE": "a long field passphrase",
        ]
        func merge(answer: String, lastLine: String) throws -> (screen: String, status: Int32?) {
            let terminal = try PseudoTerminalProcess(
                BuiltProducts.url("fieldcli"), ["subject", "merge", keep, String(other.prefix(6)), "--store", store],
                environment: environment)
            #expect(terminal.waitForOutput("[y/N]"), "screen: \(terminal.screen)")
            terminal.type(answer + "\n")
            let status = terminal.waitForExit().map(shellStatus)
            // The process may exit before the terminal's last output has been read: wait for it.
            #expect(terminal.waitForOutput(lastLine), "screen: \(terminal.screen)")
            return (terminal.screen, status)
        }
        // Both subjects and the field that differs are shown before anything is written; no keeps them apart.
        let declined = try merge(answer: "n", lastLine: "Not merged.")
        #expect(declined.status == 0)
        #expect(declined.screen.contains("Keep     \(keep.prefix(8))  ung-0142"))
        #expect(declined.screen.contains("Fold in  \(other.prefix(8))  ung-142  Jonas"))
        #expect(declined.screen.contains("1 note(s)"))
        #expect(declined.screen.contains("reference differs: keeps 'ung-0142', not 'ung-142'"))
        #expect(declined.screen.contains("Not merged."))
        #expect(try on("t", "subject", "list").lines.count == 3)

        let accepted = try merge(answer: "y", lastLine: "Merged ")
        #expect(accepted.status == 0)
        #expect(
            accepted.screen.contains(
                "Merged \(other.prefix(8)) into \(keep.prefix(8)) (ung-0142): 1 note(s) moved; took displayName"))
        let listed = try json(try on("t", "subject", "list", "--json")) as! [[String: Any]]
        #expect(listed.compactMap { $0["id"] as? String } == [keep])
        #expect(listed.first?["displayName"] as? String == "Jonas")
        let notes = try json(try on("t", "note", "list", "--subject", "ung-0142", "--json")) as! [[String: Any]]
        #expect(notes.compactMap { $0["body"] as? String } == ["Walked to the harbour"])
        // The folded subject's id still names the young person.
        #expect(try on("t", "subject", "show", String(other.prefix(8))).stdout.contains("Subject      ung-0142"))
    }
}
