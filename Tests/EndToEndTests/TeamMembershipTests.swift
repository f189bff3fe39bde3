import Foundation
import Testing

/// An adviser who leaves a team keeps nothing of it on their laptop (README §14.4), with the real `fieldcli` and
/// a real `sync-server`: the administrator ends the membership, the next sync drops the team's records and keeps
/// an unsynced note aside, and the team's server keeps everything that was synced.
@Suite("Team membership ends, end to end", .serialized)
struct TeamMembershipTests: FieldCLIDevices {
    let home: TemporaryDirectory
    let cli: CommandRunner

    init() throws {
        home = try TemporaryDirectory("membership")
        cli = Self.makeRunner()
    }

    @Test func anAdviserWhoLeftTheTeamKeepsNothingOfItButUnsyncedWorkIsKeptAside() throws {
        let server = try SyncServerProcess()
        defer { server.stop() }
        try server.admin("create-team", "north")
        try server.admin("add-adviser", "--team", "north", "mette")
        try server.admin("add-adviser", "--team", "north", "lars")
        for (device, adviser) in [("a", "mette"), ("b", "lars")] {
            try on(device, "init", "--adviser", adviser, "--kdf-cost", "12")
            try on(device, "enroll", "--server", server.url, "--code", try server.enrolmentCode(adviser: adviser))
        }
        try on("a", "subject", "add", "ung-0142", "--name", "Sofie")
        try on("a", "note", "add", "ung-0142", "-k", "walk", "Walked past the technical college")
        try on("a", "sync")
        try on("b", "sync")
        try on("b", "note", "add", "ung-0142", "-k", "phone", "Called about the interview")
        #expect(try on("b", "note", "list").stdout.contains("technical college"))

        try server.admin("remove-adviser", "--team", "north", "lars")
        let ended = try on("b", "sync", expect: 8)
        #expect(ended.stderr.contains("no longer a member of team north"), "\(ended.stderr)")
        #expect(ended.stderr.contains("records removed from this device"), "\(ended.stderr)")
        #expect(ended.stderr.contains("kept aside"), "\(ended.stderr)")
        #expect(!ended.stderr.contains("ung-0142") && !ended.stderr.contains("interview"), "names no content")
        #expect(try on("b", "note", "list").stdout.contains("No notes."))
        #expect(try on("b", "subject", "list").stdout.contains("No subjects."))
        #expect(try on("b", "search", "college").stdout.contains("Nothing found."))
        #expect(try on("b", "status").stdout.contains("Set aside         1"))
        try on("b", "verify")

        // The team keeps what was synced; the note lars never synced did not reach it.
        try on("a", "sync")
        let notes = try on("a", "note", "list").stdout
        #expect(notes.contains("technical college") && !notes.contains("interview"))
        let audit = try server.admin("audit", "--limit", "20")
        #expect(audit.stdout.contains("\tleave\t"), "\(audit.stdout)")
    }
}
