import Foundation
import Hummingbird
import HummingbirdTesting
import SyncProtocol
import SyncServer
import Testing

/// Compaction (merge.md, "Metadata bounds"; issue #11 point 3) on both storage backends: a record is compacted only
/// once every active device of its readers has pulled its version, its metadata stays bounded however often it is
/// edited, and devices receive the compacted version like any other change.
@Suite("Compaction of stable records")
struct CompactionAPITests {
    static func accepted(_ response: TestResponse) throws {
        try #require(response.status == .ok, "\(response.text)")
    }

    /// Pulls everything as `device` and sends the checkpoint of a device that has nothing to push (README §4.4).
    static func checkpoint(_ api: APIHarness, _ device: EnrollResponse) async throws -> PullPage {
        let page = try WireCoding.decode(PullPage.self, from: try await api.pull(as: device, limit: 1_000).data)
        let batch = PushBatch(
            replica: device.replica, batchID: "cp-\(UUID().uuidString.prefix(8))", records: [],
            cursor: page.nextCursor, final: true)
        try accepted(
            try await api.send(
                .post, "/v1/teams/\(api.team)/push", token: device.token, json: try WireCoding.encode(batch)))
        return page
    }

    static func storedSize(_ api: APIHarness, _ key: RecordKey) async throws -> Int {
        let entries = try await api.storage.records(inCollection: key.collection)
        return try #require(entries.first { $0.key == key }).body.count
    }

    @Test(arguments: Backend.enabled)
    func aNoteEditedManyTimesByTenDevicesStaysBoundedAndCompacts(_ backend: Backend) async throws {
        // Fewer edits on PostgreSQL, whose round trips make a debug test slow; the bound is the same.
        let edits = backend == .sqlite ? 2_000 : 300
        try await APIHarness.run(backend) { api in
            var devices: [EnrollResponse] = []
            for index in 0..<10 { devices.append(try await api.enrol("device-\(index)")) }
            let id = "n-compact-\(UUID().uuidString.prefix(8))"
            var note = try APIHarness.note(id, by: devices[0].replica, body: "Line 1\nLine 2\nLine 3\n")
            try Self.accepted(try await api.push([note], as: devices[0], batchID: "b-0"))
            var sizes: [Int: Int] = [:]
            for edit in 1...edits {
                // Each device edits the latest version in turn (as after pulling it): one line changes.
                let device = devices[edit % devices.count]
                let text = "Line 1\nLine 2 (edit \(edit) by device \(edit % devices.count))\nLine 3\n"
                note = note.updating(["body": .text(text)], by: device.replica)
                try Self.accepted(try await api.push([note], as: device, batchID: "b-\(edit)"))
                if edit == 10 || edit == edits { sizes[edit] = try await Self.storedSize(api, note.key) }
            }
            let after10 = try #require(sizes[10])
            let afterAll = try #require(sizes[edits])
            print("compaction: one note, 10 devices: \(after10) bytes after 10 edits, \(afterAll) after \(edits)")
            // Bounded by the replicas, not the edits: longer counters and a longer line, nothing more.
            #expect(afterAll < after10 + 64, "\(after10) → \(afterAll) bytes")

            // Not every device has pulled the latest version: nothing is stable yet.
            let early = try await Compaction(storage: api.storage).run()
            #expect(early.compacted == 0 && early.compactable == 0)

            // Every device pulls and checkpoints: the version is stable and its text base goes.
            for device in devices { _ = try await Self.checkpoint(api, device) }
            let dryRun = try await Compaction(storage: api.storage).run(dryRun: true)
            #expect(dryRun.compactable >= 1 && dryRun.compacted == 0)
            #expect(try await Self.storedSize(api, note.key) == afterAll)
            let done = try await Compaction(storage: api.storage).run()
            #expect(done.compacted >= 1 && done.bytesAfter < done.bytesBefore)
            let compactedSize = try await Self.storedSize(api, note.key)
            print("compaction: \(afterAll) bytes → \(compactedSize) bytes compacted")
            #expect(compactedSize < afterAll)

            // Devices receive it as a change; its content, clock and readers are the same.
            let page = try WireCoding.decode(PullPage.self, from: try await api.pull(as: devices[3]).data)
            let pulled = try #require(page.records.first { $0.key == note.key })
            #expect(pulled.clock == note.clock && pulled.value("body") == note.value("body"))
            #expect(pulled == note.compacted(stableClock: note.clock))
            // Merging it into a device's uncompacted copy gives the compacted state: the metadata goes there too.
            #expect(note.merged(with: pulled) == pulled)
            // Nothing left to do on the next run.
            #expect(try await Compaction(storage: api.storage).run().compactable == 0)
        }
    }

    @Test(arguments: Backend.enabled)
    func aTombstoneKeepsItsReadersAndAPushSinceTheCheckIsLeftAlone(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let laptop = try await api.enrol("laptop")
            let phone = try await api.enrol("phone")
            let id = "n-tomb-\(UUID().uuidString.prefix(8))"
            let note = try APIHarness.note(id, by: laptop.replica)
            let deleted = note.deleting(by: laptop.replica)
            try Self.accepted(try await api.push([deleted], as: laptop, batchID: "b-1"))
            _ = try await Self.checkpoint(api, laptop)
            _ = try await Self.checkpoint(api, phone)
            let done = try await Compaction(storage: api.storage).run()
            #expect(done.compacted >= 1)
            let entries = try await api.storage.records(inCollection: "notes")
            let stored = try WireCoding.decode(
                Record.self, from: try #require(entries.first { $0.key == note.key }).body)
            // The content is gone, the tombstone, its subject and its readers stay.
            #expect(stored.isDeleted && stored.value("body") == nil && stored.clock == deleted.clock)
            #expect(stored.value("subject") == note.value("subject"))
            #expect(try #require(entries.first { $0.key == note.key }).scope == [api.team])
            // A stale copy cannot bring the content back.
            #expect(stored.merged(with: note) == stored.merged(with: deleted))

            // An edit pushed after a device's checkpoint makes a newer, unstable version: not compacted.
            let other = try APIHarness.note("n-live-\(UUID().uuidString.prefix(8))", by: laptop.replica)
            try Self.accepted(try await api.push([other], as: laptop, batchID: "b-2"))
            let edited = other.updating(["body": .text("Changed.\n")], by: phone.replica)
            try Self.accepted(try await api.push([edited], as: phone, batchID: "b-3"))
            let next = try await Compaction(storage: api.storage).run()
            #expect(next.compacted == 0)
        }
    }
}
