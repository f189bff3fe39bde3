import Foundation
import SyncClient
import SyncProtocol
import SyncProtocolTesting
import SyncServer
import Testing

/// The `sync-server` executable: admin commands, `serve` on port 0, SIGTERM. On PostgreSQL, two server
/// processes share the database and devices alternate between them.
@Suite("sync-server processes")
struct ExecutableTests {
    @Test func theBodyReadTimeoutIsConfigurable() async throws {
        // FIELDSYNC_BODY_READ_TIMEOUT=1 (the flag's environment form): a body that stops arriving is cut off
        // with 408 within seconds, not after the default 30.
        let database =
            "sqlite:" + (try TestEnvironment.makeTemporaryDirectory().appendingPathComponent("t.sqlite").path)
        let server = try await ServerProcess.start(
            environment: [
                "FIELDSYNC_DATABASE": database, "FIELDSYNC_LOG_LEVEL": "warning",
                "FIELDSYNC_BODY_READ_TIMEOUT": "1",
            ])
        let port = try #require(URLComponents(string: server.baseURL)?.port)
        let started = ContinuousClock.now
        let answer = try await RawHTTPClient.exchange(
            port: port,
            "POST /v1/enroll HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
            readTimeout: 20)
        #expect(answer.status == 408 && answer.errorBody?.code == .requestTimeout, "\(answer)")
        #expect(ContinuousClock.now - started < .seconds(15), "cut off after the configured second, not the default")
        #expect(try await server.stop() == 0)
        // A value out of range is refused in one line before anything starts.
        let refused = try CommandResult.run(["serve", "--database", database, "--body-read-timeout", "0"])
        #expect(refused.status != 0 && refused.error.contains("--body-read-timeout"), "\(refused.error)")
    }

    @Test(arguments: Backend.enabled)
    func adminServeAndStopProcesses(_ backend: Backend) async throws {
        let database: String
        switch backend {
        case .sqlite:
            database =
                "sqlite:" + (try TestEnvironment.makeTemporaryDirectory().appendingPathComponent("s.sqlite").path)
        case .postgres:
            database = try #require(TestEnvironment.postgresURL, "FIELDSYNC_TEST_POSTGRES_URL must be set")
        }
        let environment = ["FIELDSYNC_DATABASE": database, "FIELDSYNC_LOG_LEVEL": "warning"]
        let team = TestEnvironment.uniqueName("team")
        let adviser = TestEnvironment.uniqueName("adviser")
        try ServerProcess.run(["admin", "create-team", team], environment: environment)
        try ServerProcess.run(["admin", "add-adviser", "--team", team, adviser], environment: environment)
        var codes: [String] = []
        for _ in 0..<2 {
            let output = try ServerProcess.run(
                ["admin", "enrolment-code", "--adviser", adviser, "--expires", "10m"], environment: environment)
            codes.append(try #require(output.split(separator: "\n").last.map(String.init)))
        }

        let servers = try await Array(0..<(backend == .postgres ? 2 : 1)).asyncMap { _ in
            try await ServerProcess.start(environment: environment)
        }
        do {
            var devices: [EnrollResponse] = []
            for (index, code) in codes.enumerated() {
                let transport = try HTTPSyncTransport(
                    configuration: .init(baseURL: servers[index % servers.count].baseURL),
                    logger: TestEnvironment.logger)
                devices.append(try await transport.enroll(EnrollRequest(code: code, deviceName: "device-\(index)")))
                try await transport.shutdown()
            }
            let replicas = devices.map { InMemoryReplicaStorage(replica: $0.replica) }
            for round in 0..<4 {
                for (index, replica) in replicas.enumerated() {
                    try await replica.create(
                        collection: "notes", id: "p\(round)-\(index)",
                        values: SyncClientLiveTests.noteValues("round \(round)\n"), schema: Schemas.notes)
                    let server = servers[(round + index) % servers.count]
                    try await SyncClientLiveTests.sync(
                        replica, device: devices[index], team: team, baseURL: server.baseURL)
                }
            }
            for (index, replica) in replicas.enumerated() {
                try await SyncClientLiveTests.sync(
                    replica, device: devices[index], team: team, baseURL: servers[index % servers.count].baseURL)
            }
            #expect(await replicas[0].records().count == 8)
            #expect(await replicas[0].records() == replicas[1].records())

            let listing = try ServerProcess.run(["admin", "devices", "--json"], environment: environment)
            for device in devices { #expect(listing.contains(device.deviceID)) }
            let audit = try ServerProcess.run(["admin", "audit", "--limit", "500"], environment: environment)
            #expect(audit.contains("push") && audit.contains("pull"))
        } catch {
            for server in servers { _ = try? await server.stop() }
            throw error
        }
        for server in servers {
            #expect(try await server.stop() == 0, "sync-server should exit cleanly on SIGTERM")
        }
    }
}
