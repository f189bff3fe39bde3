import Foundation
import SyncClient
import SyncProtocol
import SyncServer
import Testing

/// `HTTPSyncTransport.devices(team:)` against a real listening server.
@Suite("SyncClient: team directory against a live server")
struct DirectoryClientLiveTests {
    @Test func theTransportReadsTheDirectoryAndReportsRefusals() async throws {
        let storage = try Backend.sqlite.makeStorage()
        try await LiveServer.run(storage: storage) { baseURL in
            let (team, other) = (TestEnvironment.uniqueName("team"), TestEnvironment.uniqueName("other"))
            for name in [team, other] { _ = try await storage.createTeam(named: name, at: Date()) }
            let devices = try await SyncClientLiveTests.enrolDevices(2, storage: storage, baseURL: baseURL, team: team)
            let transport = try HTTPSyncTransport(
                configuration: .init(baseURL: baseURL, token: devices[0].token), logger: TestEnvironment.logger)
            do {
                let directory = try await transport.devices(team: team)
                #expect(directory.devices.map(\.replica) == devices.map(\.replica).sorted())
                #expect(Set(directory.devices.map(\.device)) == ["device-0", "device-1"])
                #expect(directory.devices.allSatisfy { !$0.revoked })

                await #expect {
                    _ = try await transport.devices(team: other)
                } throws: { error in
                    (error as? SyncTransportError)?.body?.code == .forbiddenTeam
                }
                try await transport.shutdown()
            } catch {
                try? await transport.shutdown()
                throw error
            }
        }
    }
}
