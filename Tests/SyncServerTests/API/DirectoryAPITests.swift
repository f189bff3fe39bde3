import Foundation
import Hummingbird
import HummingbirdTesting
import SyncProtocol
import SyncServer
import Testing

/// `GET /v1/teams/{team}/devices`: who writes with which replica id, for the team's members only.
@Suite("HTTP API: team directory")
struct DirectoryAPITests {
    @Test func membersGetEveryDeviceOfTheTeamsAdvisersByNameOnly() async throws {
        try await APIHarness.run { api in
            let colleague = TestEnvironment.uniqueName("colleague")
            let (other, outsider) = (TestEnvironment.uniqueName("other"), TestEnvironment.uniqueName("outsider"))
            try await api.storage.addAdviser(named: colleague, toTeam: api.team, canPurge: nil, at: Date())
            _ = try await api.storage.createTeam(named: other, at: Date())
            try await api.storage.addAdviser(named: outsider, toTeam: other, canPurge: nil, at: Date())
            let laptop = try await api.enrol("laptop")
            let phone = try await api.enrol("phone")
            let theirs = try await api.enrol("Mettes bærbare", adviser: colleague)
            _ = try await api.enrol("elsewhere", adviser: outsider)
            try await api.storage.revokeDevice(id: phone.deviceID, at: Date())

            let response = try await api.send(.get, "/v1/teams/\(api.team)/devices", token: laptop.token)
            #expect(response.status == .ok, "\(response.text)")
            let directory = try WireCoding.decode(TeamDirectory.self, from: response.data)
            let expected = [
                TeamDevice(adviser: api.adviser, device: "laptop", replica: laptop.replica),
                TeamDevice(adviser: api.adviser, device: "phone", replica: phone.replica, revoked: true),
                TeamDevice(adviser: colleague, device: "Mettes bærbare", replica: theirs.replica),
            ].sorted { $0.replica < $1.replica }
            #expect(directory.devices == expected)
            #expect(directory.device(replica: theirs.replica)?.adviser == colleague)
            // Names only: nothing secret or about activity goes to the team.
            for secret in [laptop.token, phone.token, laptop.deviceID, "enrolled", "token"] {
                #expect(!response.text.contains(secret), "the directory reveals \(secret)")
            }
            #expect(response.text == (try WireCoding.encodeString(directory)), "the answer is canonical JSON")

            let audited = try await api.storage.auditEvents(limit: 20).first { $0.deviceID == laptop.deviceID }
            #expect(audited?.action == .directory && audited?.team == api.team && audited?.outcome == "ok")
        }
    }

    @Test func anotherTeamsDirectoryIsForbiddenAndTheRefusalAudited() async throws {
        try await APIHarness.run { api in
            let other = TestEnvironment.uniqueName("other")
            _ = try await api.storage.createTeam(named: other, at: Date())
            let device = try await api.enrol()
            let refused = try await api.send(.get, "/v1/teams/\(other)/devices", token: device.token)
            #expect(refused.status == .forbidden && refused.errorBody?.code == .forbiddenTeam)
            let audited = try await api.storage.auditEvents(limit: 20).first { $0.deviceID == device.deviceID }
            #expect(audited?.action == .directory && audited?.team == other && audited?.outcome == "forbidden_team")
        }
    }

    @Test func revokedAndUnknownTokensGet401() async throws {
        try await APIHarness.run { api in
            let device = try await api.enrol()
            let path = "/v1/teams/\(api.team)/devices"
            #expect(try await api.send(.get, path, token: device.token).status == .ok)

            let none = try await api.send(.get, path)
            #expect(none.status == .unauthorized && none.errorBody?.code == .unauthorized)
            let unknown = try await api.send(.get, path, token: "fs1_not-a-token")
            #expect(unknown.status == .unauthorized && unknown.errorBody?.code == .unauthorized)

            try await api.storage.revokeDevice(id: device.deviceID, at: Date())
            let revoked = try await api.send(.get, path, token: device.token)
            #expect(revoked.status == .unauthorized && revoked.errorBody?.code == .deviceRevoked)
        }
    }
}
