import Foundation
import Hummingbird
import HummingbirdTesting
import SyncProtocol
import SyncServer
import Testing

/// Re-enrolment (README §4.1) over HTTP, on both storage backends: a store enrolled before enrols again with a
/// fresh replica id and its earlier token; the server revokes the earlier device and counts its replica id as the
/// new device's own, so the store's unsynced writes under it are accepted, and nothing else changes.
@Suite("HTTP API: enrolling again keeps a device's unsynced writes")
struct ReenrolmentAPITests {
    static func enrol(
        _ api: APIHarness, code: String, replica: ReplicaID, previousToken: String?
    ) async throws -> TestResponse {
        let request = EnrollRequest(code: code, deviceName: "laptop", replica: replica, previousToken: previousToken)
        return try await api.send(.post, "/v1/enroll", json: try WireCoding.encode(request))
    }

    /// The push answers and pulls of the push-rule tests.
    static func accepted(_ response: TestResponse) throws -> PushResult { try ClockClaimAPITests.result(response) }

    static func pulled(_ key: RecordKey, _ api: APIHarness, as device: EnrollResponse) async throws -> Record? {
        try await ClockClaimAPITests.pulled(key, api, as: device)
    }

    @Test(arguments: Backend.enabled)
    func aRevokedDeviceEnrolsAgainAndItsQueuedWritesArrive(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let laptop = try await api.enrol("laptop")
            let colleague = try await api.enrol("phone")
            let synced = try APIHarness.note("n-synced", by: laptop.replica)
            _ = try Self.accepted(try await api.push([synced], as: laptop, batchID: "b-1"))

            // Offline, the laptop edits the synced note and writes a new one; then an administrator revokes it.
            let edited = synced.updating(["place": .string("library")], by: laptop.replica)
            let queued = try APIHarness.note("n-queued", by: laptop.replica, body: "Called the school.\n")
            try await api.storage.revokeDevice(id: laptop.deviceID, at: Date())
            let revoked = try await api.push([edited, queued], as: laptop, batchID: "b-2")
            #expect(revoked.status == .unauthorized && revoked.errorBody?.code == .deviceRevoked)

            // A new code and the old token: the laptop becomes a new device with a fresh replica id.
            let fresh = ReplicaID.random()
            let answer = try await Self.enrol(
                api, code: try await api.issueCode(), replica: fresh, previousToken: laptop.token)
            try #require(answer.status == .ok, "\(answer.text)")
            let again = try WireCoding.decode(EnrollResponse.self, from: answer.data)
            #expect(again.replica == fresh && again.deviceID != laptop.deviceID)

            // Its queued states, made under the earlier replica id, are accepted as they are, once.
            let result = try Self.accepted(try await api.push([edited, queued], as: again, batchID: "b-2"))
            #expect(result.results.map(\.status) == [.accepted, .accepted])
            #expect(try await Self.pulled(queued.key, api, as: colleague) == queued)
            // New writes use the new id, on top of the earlier id's.
            let later = edited.updating(["kind": .string("phone")], by: fresh)
            _ = try Self.accepted(try await api.push([later], as: again, batchID: "b-3"))
            let seen = try #require(try await Self.pulled(synced.key, api, as: colleague))
            #expect(seen.value("place") == .string("library") && seen.value("kind") == .string("phone"))
            #expect(seen.clock[laptop.replica] == edited.clock[laptop.replica] && seen.clock[fresh] == 1)

            // The earlier enrolment stays revoked, and the audit names the device that was replaced.
            let old = try await api.push([later], as: laptop, batchID: "b-4")
            #expect(old.status == .unauthorized)
            let events = try await api.storage.auditEvents(limit: 1_000)
            let enrolment = try #require(events.first { $0.action == .enrol && $0.deviceID == again.deviceID })
            #expect(enrolment.detail == "replaces=\(laptop.deviceID)")

            // Another device still may not claim the laptop's earlier operations.
            let claimed = later.updating(["kind": .string("meeting")], by: colleague.replica)
            let forged = try ClockClaimAPITests.claiming(claimed, laptop.replica, counter: 40)
            let refused = try await api.push([forged], as: colleague, batchID: "b-5")
            #expect(refused.status == .badRequest && refused.errorBody?.code == .clockAhead)
        }
    }

    @Test(arguments: Backend.enabled)
    func enrollingAgainRevokesTheEarlierDeviceAndStillCatchesARollBack(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let laptop = try await api.enrol("laptop")
            let note = try APIHarness.note("n-roll", by: laptop.replica)
            let second = note.updating(["place": .string("café")], by: laptop.replica)
            _ = try Self.accepted(try await api.push([second], as: laptop, batchID: "b-1"))

            // Not revoked before: enrolling again revokes it.
            let fresh = ReplicaID.random()
            let answer = try await Self.enrol(
                api, code: try await api.issueCode(), replica: fresh, previousToken: laptop.token)
            let again = try WireCoding.decode(EnrollResponse.self, from: answer.data)
            let old = try await api.push([second], as: laptop, batchID: "b-2")
            #expect(old.status == .unauthorized && old.errorBody?.code == .deviceRevoked)

            // The earlier id is bounded from below like the batch's own: an older state of it is a roll-back.
            let rolledBack = note.updating(["kind": .string("phone")], by: fresh)
            let refused = try await api.push([rolledBack], as: again, batchID: "b-3")
            #expect(refused.status == .conflict && refused.errorBody?.code == .replicaRolledBack)
        }
    }

    @Test(arguments: Backend.enabled)
    func aTokenOfAnotherAdvisersDeviceIsRefusedAndTheCodeKept(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let outsider = try await api.enrolOutsider()
            let code = try await api.issueCode()
            for previous in [outsider.device.token, "fs1_not-a-token-of-anyone"] {
                let refused = try await Self.enrol(api, code: code, replica: .random(), previousToken: previous)
                #expect(refused.status == .unauthorized, "\(refused.text)")
                let error = try #require(refused.errorBody)
                #expect(error.code == .invalidPreviousToken && !error.retryable)
                #expect(!error.message.contains(previous) && !error.message.contains(code))
            }
            // The outsider's device was not revoked, and the code still enrols.
            let hello = try await api.send(
                .post, "/v1/hello", token: outsider.device.token,
                json: try WireCoding.encode(HelloRequest(protocolVersions: ProtocolVersion.supported)))
            #expect(hello.status == .ok)
            let first = try await Self.enrol(api, code: code, replica: .random(), previousToken: nil)
            #expect(first.status == .ok, "\(first.text)")
        }
    }
}
