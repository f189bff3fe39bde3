import Foundation
import Hummingbird
import HummingbirdTesting
import SyncProtocol
import SyncServer
import Testing

/// The push rule of README §11.3 over HTTP, on both storage backends: a push may advance only its own
/// replica's clock entries; another replica's entry above the server's state of the record is refused
/// (`400 clock_ahead`) and nothing of the batch is written.
@Suite("HTTP API: what a push may claim")
struct ClockClaimAPITests {
    /// The highest counter the protocol allows (2^53 - 1).
    static let maxCounter: UInt64 = 9_007_199_254_740_991

    /// `record` as a hostile client would send it: `replica`'s existing clock entry raised to `counter`.
    /// Dots are written as indexes into the clock, so raising an existing entry keeps them valid.
    static func claiming(_ record: Record, _ replica: ReplicaID, counter: UInt64) throws -> Record {
        let text = try WireCoding.encodeString(record)
        let entry = "\"\(replica.rawValue)\":\(record.clock[replica])"
        try #require(text.contains(entry), "the record has no entry of \(replica)")
        let forged = text.replacingOccurrences(of: entry, with: "\"\(replica.rawValue)\":\(counter)")
        return try WireCoding.decode(Record.self, from: Data(forged.utf8))
    }

    static func result(_ response: TestResponse) throws -> PushResult {
        try #require(response.status == .ok, "\(response.text)")
        return try WireCoding.decode(PushResult.self, from: response.data)
    }

    static func pulled(_ key: RecordKey, _ api: APIHarness, as device: EnrollResponse) async throws -> Record? {
        let page = try WireCoding.decode(PullPage.self, from: try await api.pull(as: device).data)
        return page.records.first { $0.key == key }
    }

    @Test(arguments: Backend.enabled)
    func inflatingAColleaguesCounterIsRefusedAndTheirLaterEditKept(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let colleague = TestEnvironment.uniqueName("colleague")
            try await api.storage.addAdviser(named: colleague, toTeam: api.team, canPurge: nil, at: Date())
            let anna = try await api.enrol("laptop")
            let lars = try await api.enrol("phone", adviser: colleague)

            let note = try APIHarness.note("n-shared", by: lars.replica)
            _ = try Self.result(try await api.push([note], as: lars, batchID: "b-lars-1"))
            let seen = try #require(try await Self.pulled(note.key, api, as: anna))
            let sequence = try await api.storage.lastSeq(team: api.team)

            // Anna's edit claims Lars's 2^53-1st operation on the note, behind an innocent new note.
            let edited = seen.updating(["kind": .string("phone")], by: anna.replica)
            let attack = try Self.claiming(edited, lars.replica, counter: Self.maxCounter)
            let innocent = try APIHarness.note("n-anna", by: anna.replica)
            let refused = try await api.push([innocent, attack], as: anna, batchID: "b-attack")
            #expect(refused.status == .badRequest)
            let error = try #require(refused.errorBody, "\(refused.text)")
            #expect(error.code == .clockAhead && !error.retryable)
            #expect(error.details == ErrorDetails(collection: "notes", id: "n-shared", path: "records[1].v", index: 1))
            // The message names the path and the rule, never a counter, a replica or content.
            #expect(error.message.contains("records[1].v") && error.message.contains("own replica"))
            for secret in ["\(Self.maxCounter)", lars.replica.rawValue, "Met at the station", "phone"] {
                #expect(!error.message.contains(secret), "the message shows '\(secret)'")
            }

            // Nothing of the batch was written, and the refusal is audited with the batch id.
            #expect(try await api.storage.lastSeq(team: api.team) == sequence)
            #expect(try await Self.pulled(innocent.key, api, as: anna) == nil)
            #expect(try await Self.pulled(note.key, api, as: anna) == seen)
            // (PostgreSQL's audit log is shared by the tests running in parallel: find Anna's latest push.)
            let events = try await api.storage.auditEvents(limit: 1_000)
            let audit = try #require(events.first { $0.action == .push && $0.deviceID == anna.deviceID })
            #expect(audit.outcome == "clock_ahead")
            #expect(audit.detail == "batch=b-attack")
            #expect(audit.recordIDs == ["notes/n-anna", "notes/n-shared"])

            // Lars's later edit is kept: the honest part of Anna's edit merges with it, no write is lost.
            _ = try Self.result(try await api.push([edited], as: anna, batchID: "b-anna-honest"))
            let larsEdit = note.updating(["place": .string("library")], by: lars.replica)
            _ = try Self.result(try await api.push([larsEdit], as: lars, batchID: "b-lars-2"))
            let final = try #require(try await Self.pulled(note.key, api, as: anna))
            #expect(final.value("place") == .string("library"))
            #expect(final.value("kind") == .string("phone"))
            #expect(final == edited.merged(with: larsEdit))
        }
    }

    @Test(arguments: Backend.enabled)
    func relaysOfPulledWritesAndTheDevicesOwnGrowthAreAccepted(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let anna = try await api.enrol("laptop")
            let lars = try await api.enrol("phone")
            let tablet = try await api.enrol("tablet")

            var note = try APIHarness.note("n-relay", by: lars.replica)
            _ = try Self.result(try await api.push([note], as: lars))
            let older = try #require(try await Self.pulled(note.key, api, as: tablet))
            for kind in ["sms", "phone", "visit"] {
                note = note.updating(["kind": .string(kind)], by: lars.replica)
            }
            _ = try Self.result(try await api.push([note], as: lars, batchID: "b-lars-2"))
            #expect(note.clock[lars.replica] == 4)

            // Anna relays Lars's dots at exactly the counter the server holds, with her own edit on top.
            let pulled = try #require(try await Self.pulled(note.key, api, as: anna))
            let relayed = pulled.updating(["place": .string("school")], by: anna.replica)
            let relay = try Self.result(try await api.push([relayed], as: anna, batchID: "b-anna-1"))
            #expect(relay.results.map(\.status) == [.accepted])

            // An older state a third device still holds is below the server's: it merges into nothing new.
            let stale = try Self.result(try await api.push([older], as: tablet, batchID: "b-tablet-1"))
            #expect(stale.results.map(\.status) == [.merged])

            // Her own entry may grow as far as she likes: it covers only her own operations.
            let own = try Self.claiming(relayed, anna.replica, counter: Self.maxCounter)
            let grown = try Self.result(try await api.push([own], as: anna, batchID: "b-anna-3"))
            #expect(grown.results.map(\.status) == [.accepted])
        }
    }

    @Test(arguments: Backend.enabled)
    func recordsStoredBeforeTheRuleVouchForTheirClocks(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let anna = try await api.enrol("laptop")
            // A note stored by an earlier server, with operations of a replica no current device holds
            // (a revoked device, or data migrated in): written straight into the storage.
            let legacy = try ReplicaID("legacy-device")
            var note = try APIHarness.note("n-legacy", by: legacy)
            for place in ["home", "school"] {
                note = note.updating(["place": .string(place)], by: legacy)
            }
            let body = try WireCoding.encode(note)
            _ = try await api.storage.applyPush(
                team: api.team, keys: [note.key], subjects: [], checkpoint: nil,
                audit: AuditEvent(at: Date(), action: .push, deviceID: nil, adviser: nil, team: nil)
            ) { _, _, _ in MergeStep(newBody: body, outcome: true) }

            // Its clock is what the server knows of that replica in this record: a relay up to it passes...
            let pulled = try #require(try await Self.pulled(note.key, api, as: anna))
            let edited = pulled.updating(["kind": .string("phone")], by: anna.replica)
            let relay = try Self.result(try await api.push([edited], as: anna, batchID: "b-1"))
            #expect(relay.results.map(\.status) == [.accepted])
            // ...one operation more does not.
            let ahead = try Self.claiming(edited, legacy, counter: note.clock[legacy] + 1)
            let refused = try await api.push([ahead], as: anna, batchID: "b-2")
            #expect(refused.status == .badRequest && refused.errorBody?.code == .clockAhead)
        }
    }

    @Test(arguments: Backend.enabled)
    func aNewRecordCannotCarryAnotherReplicasOperations(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let anna = try await api.enrol("laptop")
            let lars = try await api.enrol("phone")
            // Written by Lars, never pushed, yet pushed by Anna: the server has no state to vouch for it.
            let unseen = try APIHarness.note("n-unseen", by: lars.replica)
                .updating(["kind": .string("phone")], by: anna.replica)
            let refused = try await api.push([unseen], as: anna)
            #expect(refused.status == .badRequest)
            #expect(refused.errorBody?.details?.path == "records[0].v")
            #expect(refused.errorBody?.code == .clockAhead)
            #expect(try await api.storage.lastSeq(team: api.team) == 0)
        }
    }

    @Test(arguments: Backend.enabled)
    func aDeviceBehindItsOwnSyncedWritesIsToldItRolledBack(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let anna = try await api.enrol("laptop")
            let backup = try APIHarness.note("n-restored", by: anna.replica)
            var note = backup
            for kind in ["sms", "phone"] { note = note.updating(["kind": .string(kind)], by: anna.replica) }
            _ = try Self.result(try await api.push([note], as: anna, batchID: "b-1"))
            let sequence = try await api.storage.lastSeq(team: api.team)

            // Restored from the backup, the laptop edits the note again: dot anna:2 would name two writes.
            let again = backup.updating(["place": .string("library")], by: anna.replica)
            let other = try APIHarness.note("n-new", by: anna.replica)
            let refused = try await api.push([other, again], as: anna, batchID: "b-restored")
            #expect(refused.status == .conflict)
            let error = try #require(refused.errorBody, "\(refused.text)")
            #expect(error.code == .replicaRolledBack && !error.retryable)
            #expect(
                error.details
                    == ErrorDetails(
                        collection: "notes", id: "n-restored", path: "records[1].v", index: 1))
            #expect(!error.message.contains(anna.replica.rawValue) && !error.message.contains("library"))
            #expect(try await api.storage.lastSeq(team: api.team) == sequence)
            #expect(try await Self.pulled(other.key, api, as: anna) == nil)
            #expect(try await Self.pulled(note.key, api, as: anna) == note)
            let events = try await api.storage.auditEvents(limit: 1_000)
            let audit = try #require(events.first { $0.action == .push && $0.deviceID == anna.deviceID })
            #expect(audit.outcome == "replica_rolled_back" && audit.detail == "batch=b-restored")
        }
    }
}
