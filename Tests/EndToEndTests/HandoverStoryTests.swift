import Foundation
import Testing

/// Issue #10's story with the real `fieldcli` and a real listening `sync-server`: an adviser hands a young person
/// over to a partner team with consent and a handover note; the receiver sees only what was shared, at once; the
/// sender's access ends and the notes leave the sending team's devices, an unsynced change kept aside, not lost.
@Suite("Handover end to end", .serialized)
struct HandoverStoryTests: FieldCLIDevices {
    let home: TemporaryDirectory
    let cli: CommandRunner

    init() throws {
        home = try TemporaryDirectory("handover")
        cli = Self.makeRunner()
    }

    /// Teams north (mette, lars) and jobcentre (jonas), partners; devices a (mette), b (lars), c (jonas).
    func twoPartnerTeams(_ server: SyncServerProcess) throws {
        try server.admin("create-team", "north")
        try server.admin("create-team", "jobcentre")
        try server.admin("add-adviser", "--team", "north", "mette")
        try server.admin("add-adviser", "--team", "north", "lars")
        try server.admin("add-adviser", "--team", "jobcentre", "jonas")
        try server.admin("partner", "--team", "north", "--with", "jobcentre")
        for (device, adviser) in [("a", "mette"), ("b", "lars"), ("c", "jonas")] {
            try on(device, "init", "--adviser", adviser, "--kdf-cost", "12")
            try on(device, "enroll", "--server", server.url, "--code", try server.enrolmentCode(adviser: adviser))
        }
    }

    func noteID(_ result: CommandResult) -> String {
        result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aHandoverToAPartnerTeamPassesOnlyTheHandoverNoteAndEndsTheSendersAccess() throws {
        let server = try SyncServerProcess()
        defer { server.stop() }
        try twoPartnerTeams(server)
        try on("a", "subject", "add", "ung-0142", "--name", "Sofie")
        let intake = noteID(try on("a", "note", "add", "ung-0142", "-k", "intake", "Talked about her family"))
        try on("a", "sync")
        try on("b", "sync")
        // Lars adds to the intake note on his laptop and does not sync before the handover.
        try on("b", "note", "edit", String(intake.prefix(8)), "--append", "Her brother helps with the rent")

        try on(
            "a", "subject", "handover", "ung-0142", "--to", "jonas", "--team", "jobcentre",
            "--note", "Ready for the kitchen placement", "--consent", "the handover note", "--yes")
        let sent = try on("a", "sync")
        #expect(sent.stdout.contains("records removed: access ended"), "\(sent.stdout)")
        #expect(!sent.stdout.contains("kept aside"))
        #expect(try on("a", "subject", "list").stdout.contains("No subjects."))
        #expect(try on("a", "search", "family").stdout.contains("Nothing found."))
        try on("a", "verify")

        // The receiver sees the young person at once, and only the handover note.
        try on("c", "sync")
        let mine = try json(try on("c", "subject", "list", "--mine", "--json")) as? [[String: Any]]
        #expect(mine?.compactMap { $0["reference"] as? String } == ["ung-0142"])
        #expect(mine?.first?["scope"] as? [String] == ["jobcentre"])
        #expect(
            (mine?.first?["consentLog"] as? String)?.contains(
                "mette (north): consent from the young person to share with jobcentre — \"the handover note\"") == true)
        let followups = try on("c", "followups").lines.filter { $0.contains("ung-0142") }
        #expect(followups.count == 1)
        #expect(followups.first?.contains("HANDOVER") == true, "\(followups)")
        let notes = try json(try on("c", "note", "list", "--subject", "ung-0142", "--json")) as? [[String: Any]]
        #expect(notes?.compactMap { $0["kind"] as? String } == ["handover"])
        #expect(try on("c", "search", "family").stdout.contains("Nothing found."))
        // Taken up: a note by the receiver ends the handover line.
        try on("c", "note", "add", "ung-0142", "-k", "phone", "Called Sofie to say hello")
        #expect(!(try on("c", "followups").stdout.contains("HANDOVER")))

        // Lars's laptop: the subject and its notes leave; his unsynced addition is kept aside, never sent.
        let colleague = try on("b", "sync")
        #expect(colleague.stdout.contains("removed: access ended"), "\(colleague.stdout)")
        #expect(colleague.stdout.contains("1 with unsynced changes kept aside"), "\(colleague.stdout)")
        #expect(try on("b", "note", "list").stdout.contains("No notes."))
        #expect(try on("b", "status").stdout.contains("Set aside         1"))
        let aside = try on("b", "status", "--set-aside", "--json")
        #expect(aside.stdout.contains("Her brother helps with the rent"))
        let status = try json(try on("b", "status", "--json")) as? [String: Any]
        #expect(status?["unsyncedChanges"] as? Int == 0)
        try on("b", "verify")
        // Nothing of it reached the receiving team.
        try on("c", "sync")
        #expect(!(try on("c", "note", "list").stdout.contains("brother")))
    }

    @Test func aNoteWrittenOfflineAboutAHandedOverSubjectIsNotLost() throws {
        let server = try SyncServerProcess()
        defer { server.stop() }
        try twoPartnerTeams(server)
        try on("a", "subject", "add", "ung-0500")
        try on("a", "sync")
        try on("b", "sync")
        try on(
            "a", "subject", "handover", "ung-0500", "--to", "jonas", "--team", "jobcentre",
            "--note", "Over to the job centre", "--consent", "the handover note", "--yes")
        try on("a", "sync")
        // Lars has not synced since: his laptop still shows the subject, and he writes about it.
        try on("b", "note", "add", "ung-0500", "-k", "sms", "Texted her about Monday")
        let synced = try on("b", "sync")
        #expect(synced.stdout.contains("removed: access ended"), "\(synced.stdout)")
        // Nobody in north reads the subject any more, and jobcentre reads no note north wrote alone: the note must
        // stay on Lars's laptop, kept aside. The server refuses a new note about a subject the pushing team does not
        // read (README §14.3 rule 4: it would have no reader), and 'fieldcli sync' keeps it aside.
        let aside = try on("b", "status", "--set-aside", "--json").stdout
        #expect(aside.contains("Texted her about Monday"), "\(aside)")
    }

    @Test func anOverlapKeepsTheSendersAccessUntilItsDay() throws {
        let server = try SyncServerProcess()
        defer { server.stop() }
        try twoPartnerTeams(server)
        try on("a", "subject", "add", "ung-0200")
        try on("a", "note", "add", "ung-0200", "-k", "walk", "Walked past the school")
        try on("a", "sync")
        let handed = try on(
            "a", "subject", "handover", "ung-0200", "--to", "jonas", "--team", "jobcentre", "--note",
            "Over to the job centre", "--consent", "the plan", "--keep-access", "30d", "--yes")
        #expect(handed.stdout.contains("your team keeps reading it until"), "\(handed.stdout)")
        let kept = try on("a", "sync")
        #expect(!kept.stdout.contains("removed"), "\(kept.stdout)")
        let shown = try on("a", "subject", "show", "ung-0200")
        #expect(shown.stdout.contains("Shared with  jobcentre, north"))
        #expect(shown.stdout.contains("Access ends  north on "))
        #expect(try on("a", "note", "list").stdout.contains("Walked past the school"))
        try on("c", "sync")
        #expect(try on("c", "subject", "list", "--mine").stdout.contains("ung-0200"))

        // The day comes (rehearsed on the server): north's access ends, and the notes leave mette's laptop.
        let later = ISO8601DateFormatter.string(
            from: Date().addingTimeInterval(31 * 86_400), timeZone: TimeZone(identifier: "UTC")!,
            formatOptions: [.withFullDate])
        try server.admin("expire-access", "--as-of", later)
        let ended = try json(try on("a", "sync", "--json")) as? [String: Any]
        // The subject, the walk note and the handover note.
        #expect(ended?["removed"] as? Int == 3, "\(String(describing: ended))")
        #expect(ended?["setAside"] as? Int == 0)
        #expect(try on("a", "subject", "list").stdout.contains("No subjects."))
        #expect(try on("c", "subject", "list", "--mine").stdout.contains("ung-0200"))
    }

    @Test func consentWithdrawnEndsThePartnersAccessOnItsDevices() throws {
        let server = try SyncServerProcess()
        defer { server.stop() }
        try twoPartnerTeams(server)
        try on("a", "subject", "add", "ung-0400", "--name", "Ali")
        let shared = noteID(try on("a", "note", "add", "ung-0400", "-k", "follow-up", "Plan: a trial week in May"))
        try on("a", "note", "add", "ung-0400", "-k", "home-visit", "Visited at home, tense atmosphere")
        try on("a", "sync")
        try on("a", "subject", "share", "ung-0400", "--team", "jobcentre", "--consent", "the plan for May")
        try on("a", "note", "share", String(shared.prefix(8)), "--team", "jobcentre")
        try on("a", "sync")

        // The partner reads the subject and the one note shared, not the rest.
        try on("c", "sync")
        #expect(try on("c", "subject", "list").stdout.contains("ung-0400"))
        #expect(!(try on("c", "subject", "list", "--mine").stdout.contains("ung-0400")))
        let notes = try json(try on("c", "note", "list", "--json")) as? [[String: Any]]
        #expect(notes?.compactMap { $0["id"] as? String } == [shared])
        #expect(try on("c", "search", "tense").stdout.contains("Nothing found."))

        // The young person withdraws consent: the subject and the note leave the partner's device.
        try on("a", "subject", "unshare", "ung-0400", "--team", "jobcentre")
        try on("a", "sync")
        let ended = try on("c", "sync")
        #expect(ended.stdout.contains("2 records removed: access ended"), "\(ended.stdout)")
        #expect(try on("c", "subject", "list").stdout.contains("No subjects."))
        #expect(try on("c", "search", "trial").stdout.contains("Nothing found."))
        try on("c", "verify")
        // The sending team keeps everything, and the log says what happened.
        #expect(try on("a", "note", "list", "--subject", "ung-0400").lines.count == 3)
        let log = try on("a", "subject", "show", "ung-0400").stdout
        #expect(log.contains("consent from the young person to share with jobcentre"))
        #expect(log.contains("consent withdrawn — no longer shared with jobcentre"))
    }

    @Test func sharingWithATeamThatIsNotAPartnerIsRefusedAndCanBeUndone() throws {
        let server = try SyncServerProcess()
        defer { server.stop() }
        try twoPartnerTeams(server)
        try server.admin("create-team", "psychiatry")
        try on("a", "subject", "add", "ung-0300")
        try on("a", "sync")
        try on("a", "subject", "share", "ung-0300", "--team", "psychiatry", "--consent", "the medication plan")
        let refused = try on("a", "sync", expect: 8)
        let lines = refused.stderr.split(separator: "\n").filter { !$0.hasPrefix("sync: ") }
        #expect(lines.count == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("forbidden_scope"), "\(refused.stderr)")
        #expect(refused.stderr.contains("'fieldcli subject unshare SUBJECT --team TEAM'"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("ung-0300"))
        // Undone on the device, the change syncs.
        try on("a", "subject", "unshare", "ung-0300", "--team", "psychiatry")
        try on("a", "sync")
        let shown = try json(try on("a", "subject", "show", "ung-0300", "--json")) as? [String: Any]
        #expect(shown?["consent"] as? [String] == [])
        #expect((shown?["consentLog"] as? String)?.contains("consent withdrawn") == true)
    }
}
