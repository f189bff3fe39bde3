import Foundation
import SyncClient
import SyncProtocol
import SyncProtocolTesting
import SyncServer
import Testing

/// `sync-server admin retention` against a serving `sync-server`: what a dry run prints, the purge reaching a
/// device at its next sync, saved rules, and one-line refusals.
@Suite("sync-server admin retention")
struct RetentionCommandTests {
    /// `YYYY-MM-DD` (UTC) `years` from now.
    static func day(inYears years: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = calendar.date(byAdding: .year, value: years, to: Date())!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    @Test func aRetentionRunPurgesOnTheDevicesAndADryRunNamesOnlyIds() async throws {
        let root = try TestEnvironment.makeTemporaryDirectory()
        let environment = [
            "FIELDSYNC_DATABASE": "sqlite:" + root.appendingPathComponent("server.sqlite").path,
            "FIELDSYNC_LOG_LEVEL": "warning",
        ]
        let fixture = try AdminFixture(environment: environment)
        let reference = "ung-\(UUID().uuidString.prefix(6).lowercased())"
        let server = try await ServerProcess.start(environment: environment)
        do {
            let device = try await fixture.enrolDevice(baseURL: server.baseURL)
            let laptop = InMemoryReplicaStorage(replica: device.replica)
            let closed = try await laptop.create(
                collection: "subjects", id: "s-closed",
                values: ["reference": .string(reference), "status": .string("closed")], schema: Schemas.subjects)
            let open = try await laptop.create(
                collection: "subjects", id: "s-open",
                values: ["reference": .string(reference + "b"), "status": .string("education-ready")],
                schema: Schemas.subjects)
            for (id, subject) in [("n-1", closed.id), ("n-2", closed.id), ("n-3", open.id)] {
                try await laptop.create(
                    collection: "notes", id: id,
                    values: [
                        "subject": .reference(subject), "kind": .string("phone"),
                        "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_790_000_000_000)),
                        "body": .text("Spoke about the debt counselling.\n"),
                    ],
                    schema: Schemas.notes)
            }
            _ = try await SyncClientLiveTests.sync(laptop, device: device, team: fixture.team, baseURL: server.baseURL)

            let retention = ["admin", "retention", "--team", fixture.team, "--closed-after", "5y"]
            let early = try ServerProcess.run(retention + ["--as-of", Self.day(inYears: 4)], environment: environment)
            #expect(early.contains("purged 0 subjects and 0 notes"), "\(early)")

            let dry = try ServerProcess.run(
                retention + ["--as-of", Self.day(inYears: 6), "--dry-run"], environment: environment)
            #expect(dry.contains("would purge 1 subject and 2 notes"), "\(dry)")
            #expect(dry.contains("subjects/s-closed") && dry.contains("notes/n-1") && dry.contains("notes/n-2"))
            #expect(!dry.contains("s-open") && !dry.contains("n-3"))
            #expect(!dry.contains(reference), "counts and ids only, never a reference")
            let nothing = try await SyncClientLiveTests.sync(
                laptop, device: device, team: fixture.team, baseURL: server.baseURL)
            #expect(nothing.received == 0, "a dry run changes nothing")

            let done = try ServerProcess.run(retention + ["--as-of", Self.day(inYears: 6)], environment: environment)
            #expect(done.contains("purged 1 subject and 2 notes"), "\(done)")
            #expect(!done.contains(reference))

            // The laptop erases them at its next sync; the open course stays as it was.
            _ = try await SyncClientLiveTests.sync(laptop, device: device, team: fixture.team, baseURL: server.baseURL)
            let erased = await laptop.record(closed.key)
            #expect(erased?.isPurged == true && erased?.value("reference") == nil)
            for id in ["n-1", "n-2"] {
                let note = await laptop.record(RecordKey(collection: "notes", id: id))
                #expect(note?.isPurged == true && note?.value("body") == nil)
            }
            let kept = await laptop.record(open.key)
            #expect(kept?.value("reference") == .string(reference + "b"))
            let keptNote = await laptop.record(RecordKey(collection: "notes", id: "n-3"))
            #expect(keptNote?.isPurged == false)

            // The audit names the rule.
            let audit = try ServerProcess.run(["admin", "audit", "--json", "--limit", "20"], environment: environment)
            #expect(audit.contains("retention: closed-after 5y"), "\(audit)")

            // A saved rule is what serve applies daily.
            let saved = try ServerProcess.run(retention + ["--save"], environment: environment)
            #expect(saved.contains("purged daily"))
            let rules = try ServerProcess.run(["admin", "retention", "--rules"], environment: environment)
            #expect(rules.contains(fixture.team) && rules.contains("closed-after 5y"), "\(rules)")
            let saveRun = try ServerProcess.run(
                ["admin", "retention", "--team", fixture.team, "--dry-run"], environment: environment)
            #expect(saveRun.contains("closed-after 5y"))
        } catch {
            _ = try? await server.stop()
            throw error
        }
        #expect(try await server.stop() == 0)

        // A bad period is refused with one line, before anything is opened.
        for bad in ["5", "5w", "0y", "five", "5y2m"] {
            let refused = try CommandResult.run(
                ["admin", "retention", "--team", fixture.team, "--closed-after", bad], environment: environment)
            #expect(refused.status != 0 && refused.error.contains("invalid period '\(bad)'"), "\(refused.error)")
            #expect(refused.error.split(separator: "\n").count == 1, "one line: \(refused.error)")
        }
    }
}
