import Foundation
import SyncClient
import SyncProtocol
import SyncProtocolTesting
import SyncServer
import Testing

@Suite("TLS")
struct TLSTests {
    @Test func syncOverTLSWithASelfSignedCertificate() async throws {
        let certificate = try SelfSignedCertificate.make()
        let pem = try certificate.certificatePEM
        var configuration = ServerConfiguration(port: 0)
        configuration.tls = .init(
            certificatePath: certificate.certificatePath, privateKeyPath: certificate.privateKeyPath)
        let storage = try Backend.sqlite.makeStorage()
        try await LiveServer.run(storage: storage, configuration: configuration) { baseURL in
            #expect(baseURL.hasPrefix("https://"))
            let team = TestEnvironment.uniqueName("team")
            _ = try await storage.createTeam(named: team, at: Date())
            let devices = try await SyncClientLiveTests.enrolDevices(
                2, storage: storage, baseURL: baseURL, trustedPEM: pem, team: team)
            let first = InMemoryReplicaStorage(replica: devices[0].replica)
            let second = InMemoryReplicaStorage(replica: devices[1].replica)
            try await first.create(
                collection: "notes", id: "tls-1", values: SyncClientLiveTests.noteValues("over TLS\n"),
                schema: Schemas.notes)
            try await SyncClientLiveTests.sync(first, device: devices[0], team: team, baseURL: baseURL, trustedPEM: pem)
            try await SyncClientLiveTests.sync(
                second, device: devices[1], team: team, baseURL: baseURL, trustedPEM: pem)
            #expect(await second.records() == first.records())

            // Without trusting the certificate the client refuses the server.
            let untrusting = try HTTPSyncTransport(
                configuration: .init(baseURL: baseURL, token: devices[0].token, requestTimeout: .seconds(2)),
                logger: TestEnvironment.logger)
            let refused = await #expect(throws: SyncTransportError.self) {
                _ = try await untrusting.hello(HelloRequest())
            }
            #expect(refused?.body == nil, "the request must not reach the server")
            try await untrusting.shutdown()

            // Plain HTTP to the TLS port does not get through either.
            let plain = try HTTPSyncTransport(
                configuration: .init(
                    baseURL: baseURL.replacingOccurrences(of: "https://", with: "http://"), token: devices[0].token,
                    requestTimeout: .seconds(1)),
                logger: TestEnvironment.logger)
            await #expect(throws: SyncTransportError.self) { _ = try await plain.hello(HelloRequest()) }
            try await plain.shutdown()
        }
    }
}
