import Foundation
import Testing

/// Two real `fieldcli` devices syncing real notes through a real listening `sync-server`.
@Suite("Sync end to end", .serialized)
struct SyncStoryTests: FieldCLIDevices {
    let home: TemporaryDirectory
    let cli: CommandRunner

    init() throws {
        home = try TemporaryDirectory("sync")
        cli = Self.makeRunner()
    }

    /// Sets up a team with two advisers, each with an enrolled device.
    func twoEnrolledDevices(_ server: SyncServerProcess) throws {
        try server.admin("create-team", "north")
        try server.admin("add-adviser", "--team", "north", "mette")
        try server.admin("add-adviser", "--team", "north", "lars")
        try on("a", "init", "--adviser", "mette", "--kdf-cost", "12")
        try on("b", "init", "--adviser", "lars", "--kdf-cost", "12")
        try on("a", "enroll", "--server", server.url, "--code", try server.enrolmentCode(adviser: "mette"))
        try on("b", "enroll", "--server", server.url, "--code", try server.enrolmentCode(adviser: "lars"))
    }

    @Test func notesWrittenOfflineSyncMergeAndAConflictIsResolved() throws {
        let server = try SyncServerProcess()
        defer { server.stop() }
        // Notes written before the device is enrolled keep their replica id through enrolment.
        try server.admin("create-team", "north")
        try server.admin("add-adviser", "--team", "north", "mette")
        try server.admin("add-adviser", "--team", "north", "lars")
        try on("a", "init", "--adviser", "mette", "--kdf-cost", "12")
        try on("a", "subject", "add", "ung-0142", "--name", "Sofie")
        let id = try on(
            "a", "note", "add", "--subject", "ung-0142", "--kind", "walk",
            "--text", "Line one\nLine two\nLine three"
        ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try on("b", "init", "--adviser", "lars", "--kdf-cost", "12")
        try on("a", "enroll", "--server", server.url, "--code", try server.enrolmentCode(adviser: "mette"))
        try on("b", "enroll", "--server", server.url, "--code", try server.enrolmentCode(adviser: "lars"))

        let first = try json(try on("a", "sync", "--json")) as! [String: Any]
        #expect(first["sent"] as? Int == 2)
        try on("b", "sync")
        #expect(try on("b", "note", "show", id).stdout.contains("Line two"))

        // Concurrent edits of different lines and a tag merge by themselves.
        try on("a", "note", "edit", id, "--text", "Line one (mette)\nLine two\nLine three")
        try on("b", "note", "edit", id, "--text", "Line one\nLine two\nLine three (lars)", "--tag", "housing")
        try on("a", "sync")
        try on("b", "sync")
        try on("a", "sync")
        for device in ["a", "b"] {
            let note = try json(try on(device, "note", "show", id, "--json")) as! [String: Any]
            #expect(note["body"] as? String == "Line one (mette)\nLine two\nLine three (lars)", "\(device)")
            #expect(note["tags"] as? [String] == ["housing"])
            #expect(note["hasConflict"] as? Bool == false)
        }

        // Both append at the same place: kept both ways and surfaced, on both devices.
        try on("a", "note", "edit", id, "--append", "Mette: a place from January")
        try on("b", "note", "edit", id, "--append", "Lars: starts in January")
        try on("a", "sync")
        let bSync = try json(try on("b", "sync", "--json")) as! [String: Any]
        #expect(bSync["conflicts"] as? Int == 1)
        try on("a", "sync")
        for device in ["a", "b"] {
            let conflicts = try json(try on(device, "conflicts", "--json")) as! [[String: Any]]
            #expect(conflicts.count == 1, "\(device)")
            let fields = conflicts.first?["fields"] as? [[String: Any]]
            let values = (fields?.first?["candidates"] as? [[String: Any]])?.compactMap { $0["value"] as? String }
            #expect(values?.count == 2)
            #expect(values?.contains { $0.hasSuffix("Mette: a place from January") } == true)
            #expect(values?.contains { $0.hasSuffix("Lars: starts in January") } == true)
            // The other device's value is named by the team directory that each sync fetches.
            let theirs = (fields?.first?["candidates"] as? [[String: Any]])?.first { $0["mine"] as? Bool == false }
            #expect(theirs?["adviser"] as? String == (device == "a" ? "lars" : "mette"), "\(device)")
        }

        // Lars writes the merged text; the resolution settles everywhere.
        let merged =
            "Line one (mette)\nLine two\nLine three (lars)\n\nMette: a place from January\nLars: starts in January"
        try on("b", "resolve", String(id.prefix(8)), "--text", merged)
        try on("b", "sync")
        try on("a", "sync")
        for device in ["a", "b"] {
            #expect((try json(try on(device, "conflicts", "--json")) as! [Any]).isEmpty, "\(device)")
            let note = try json(try on(device, "note", "show", id, "--json")) as! [String: Any]
            #expect(note["body"] as? String == merged)
        }
        let status = try json(try on("a", "status", "--json")) as! [String: Any]
        #expect(status["unsyncedChanges"] as? Int == 0)
        #expect(status["lastSuccessfulSync"] != nil)
    }

    @Test func anUnreachableServerKeepsNotesQueuedAndTheNextSyncCarriesOn() throws {
        let server = try SyncServerProcess()
        defer { server.stop() }
        try twoEnrolledDevices(server)
        try on("a", "subject", "add", "ung-1")
        try on("a", "note", "add", "--subject", "ung-1", "--kind", "sms", "--text", "written on the bus")
        let listen = server.url.replacingOccurrences(of: "http://", with: "")
        server.stop()

        // Refused at once, in one plain line, without retrying (that took ~54 s), naming what stays queued.
        let failed = try on("a", "sync", expect: 8)
        let lines = failed.stderr.split(separator: "\n").filter { !$0.hasPrefix("sync: ") }
        #expect(lines.count == 1, "\(failed.stderr)")
        #expect(failed.stderr.contains("cannot reach \(server.url): connection refused"), "\(failed.stderr)")
        #expect(failed.stderr.contains("your 2 changes stay queued"))
        #expect(!failed.stderr.contains("attempt"), "a refused connection was retried: \(failed.stderr)")
        for word in ["errno", "NIO", "Error(", "SingleConnection"] {
            #expect(!failed.stderr.contains(word), "library internals in: \(failed.stderr)")
        }
        let queued = try json(try on("a", "status", "--json")) as! [String: Any]
        #expect(queued["unsyncedChanges"] as? Int == 2)

        try server.start(listen: listen)
        try on("a", "sync")
        try on("b", "sync")
        #expect(try on("b", "note", "list").stdout.contains("written on the bus"))
        let synced = try json(try on("a", "status", "--json")) as! [String: Any]
        #expect(synced["unsyncedChanges"] as? Int == 0)
    }

    /// issue #11: a store put back from an older copy used to reuse its own dots, so its next edit was silently
    /// "merged" away. Now the server refuses the push (409 replica_rolled_back) and the edit stays on the device.
    @Test func aStoreRestoredFromAnOlderCopyIsCaughtAndLosesNothing() throws {
        let server = try SyncServerProcess()
        defer { server.stop() }
        try twoEnrolledDevices(server)
        try on("a", "subject", "add", "ung-7")
        let id = try on("a", "note", "add", "ung-7", "v1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try on("a", "sync")
        let store = home.url.appendingPathComponent("a")
        let copy = home.url.appendingPathComponent("a-copy")
        try FileManager.default.copyItem(at: store, to: copy)
        try on("a", "note", "edit", id, "--text", "v2-first")
        try on("a", "sync")
        try FileManager.default.removeItem(at: store)
        try FileManager.default.moveItem(at: copy, to: store)

        try on("a", "note", "edit", id, "--text", "v2-second")
        let refused = try on("a", "sync", expect: 8)
        #expect(refused.stderr.contains("restored from a backup"), "\(refused.stderr)")
        #expect(refused.stderr.contains("nothing was lost"))
        #expect(refused.stderr.contains("fieldcli enroll"))
        #expect(try on("a", "note", "show", id).stdout.contains("v2-second"))
        try on("b", "sync")
        #expect(try on("b", "note", "show", id).stdout.contains("v2-first"))

        // Enrolled again, the laptop continues as a new replica: its edit made after the restore is re-made under
        // the new id, and both edits reach both devices as one conflict (the same line changed twice).
        try on("a", "enroll", "--server", server.url, "--code", try server.enrolmentCode(adviser: "mette"), "--yes")
        let continued = try #require(try json(try on("a", "sync", "--json")) as? [String: Any])
        #expect(continued["sent"] as? Int == 1)
        try on("b", "sync")
        for device in ["a", "b"] {
            let conflicts = try #require(try json(try on(device, "conflicts", "--json")) as? [[String: Any]])
            let fields = conflicts.first?["fields"] as? [[String: Any]]
            let values = (fields?.first?["candidates"] as? [[String: Any]])?.compactMap { $0["value"] as? String }
            #expect(Set(values ?? []) == ["v2-first", "v2-second"], "\(device)")
        }
        // And it syncs on as usual.
        try on("a", "resolve", id, "--text", "v3")
        try on("a", "sync")
        try on("b", "sync")
        #expect(try on("b", "note", "show", id).stdout.contains("v3"))
        #expect((try json(try on("b", "conflicts", "--json")) as? [Any])?.isEmpty == true)
    }

    @Test func aRevokedDeviceIsRefusedAndAWrongCodeIsReported() throws {
        let server = try SyncServerProcess()
        defer { server.stop() }
        try twoEnrolledDevices(server)
        try on("b", "subject", "add", "ung-2")
        try on("b", "sync")
        let devices = try server.admin("devices", "--json")
        let list = try JSONSerialization.jsonObject(with: Data(devices.stdout.utf8)) as! [[String: Any]]
        let deviceIDs = list.compactMap { ($0["id"] ?? $0["deviceId"] ?? $0["deviceID"]) as? String }
        let status = try json(try on("b", "status", "--json")) as! [String: Any]
        let mine = try #require(status["deviceID"] as? String)
        #expect(deviceIDs.contains(mine))
        try server.admin("revoke", mine)
        let refused = try on("b", "sync", expect: 8)
        #expect(refused.stderr.contains("no longer accepts this device"))

        try on("c", "init", "--kdf-cost", "12")
        let wrong = try on("c", "enroll", "--server", server.url, "--code", "NOT-A-CODE", expect: 8)
        #expect(wrong.stderr.contains("enrolment refused"))
    }
}
