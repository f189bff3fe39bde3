import Foundation
import Testing

/// A device revoked while it holds unsynced notes enrols again with a new code and loses nothing (issue #9 point
/// 6, README §4.1 of the protocol): the real `fieldcli` against a real `sync-server`.
@Suite("Enrolling again end to end", .serialized)
struct ReenrolmentTests: FieldCLIDevices {
    let home: TemporaryDirectory
    let cli: CommandRunner

    init() throws {
        home = try TemporaryDirectory("reenrol")
        cli = Self.makeRunner()
    }

    func status(_ device: String) throws -> [String: Any] {
        try #require(try json(try on(device, "status", "--json")) as? [String: Any])
    }

    @Test func aRevokedDeviceEnrolsAgainAndItsQueuedNotesReachTheTeamOnce() throws {
        let server = try SyncServerProcess()
        defer { server.stop() }
        try server.admin("create-team", "north")
        try server.admin("add-adviser", "--team", "north", "mette")
        try server.admin("add-adviser", "--team", "north", "lars")
        try on("a", "init", "--adviser", "mette", "--kdf-cost", "12")
        try on("b", "init", "--adviser", "lars", "--kdf-cost", "12")
        try on("a", "enroll", "--server", server.url, "--code", try server.enrolmentCode(adviser: "mette"))
        try on("b", "enroll", "--server", server.url, "--code", try server.enrolmentCode(adviser: "lars"))

        try on("a", "subject", "add", "ung-0142", "--name", "Sofie")
        let walk = try on("a", "note", "add", "ung-0142", "Walked", "to", "the", "library")
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try on("a", "sync")
        let before = try status("a")
        let oldDevice = try #require(before["deviceID"] as? String)
        let oldReplica = try #require(before["replica"] as? String)

        // Offline, Mette edits the synced note and writes a new one; meanwhile her laptop is revoked.
        try on("a", "note", "edit", walk, "--text", "Walked to the library and back")
        let call = try on("a", "note", "add", "ung-0142", "Phoned", "the", "workshop")
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try server.admin("revoke", oldDevice)
        let refused = try on("a", "sync", expect: 8)
        #expect(refused.stderr.contains("fieldcli enroll"), "\(refused.stderr)")
        #expect(try status("a")["unsyncedChanges"] as? Int == 2)

        // Without a terminal, replacing an enrolment needs --yes; nothing changes until then.
        let code = try server.enrolmentCode(adviser: "mette")
        let unasked = try on("a", "enroll", "--server", server.url, "--code", code, expect: 64)
        #expect(unasked.stderr.contains("--yes"), "\(unasked.stderr)")
        #expect(try status("a")["deviceID"] as? String == oldDevice)

        let again = try on("a", "enroll", "--server", server.url, "--code", code, "--yes")
        #expect(again.stdout.contains("2 unsynced changes are kept"), "\(again.stdout)")
        let after = try status("a")
        #expect(after["deviceID"] as? String != oldDevice)
        #expect(after["replica"] as? String != oldReplica)
        #expect(after["unsyncedChanges"] as? Int == 2)

        // The queued changes arrive, once; Lars sees both notes as Mette left them.
        let sent = try #require(try json(try on("a", "sync", "--json")) as? [String: Any])
        #expect(sent["sent"] as? Int == 2)
        try on("b", "sync")
        let edited = try #require(try json(try on("b", "note", "show", walk, "--json")) as? [String: Any])
        #expect(edited["body"] as? String == "Walked to the library and back")
        #expect(try on("b", "note", "show", call).stdout.contains("Phoned the workshop"))
        let notes = try #require(try json(try on("b", "note", "list", "--json")) as? [[String: Any]])
        #expect(notes.count == 2)

        // Later writes go out under the new enrolment; the old one stays refused.
        try on("a", "note", "edit", call, "--text", "Phoned the workshop: start on Monday")
        try on("a", "sync")
        try on("b", "sync")
        #expect(try on("b", "note", "show", call).stdout.contains("start on Monday"))
        #expect(try status("a")["unsyncedChanges"] as? Int == 0)
    }
}
