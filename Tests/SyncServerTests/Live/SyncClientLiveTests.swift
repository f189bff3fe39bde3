import Foundation
import Logging
import SyncClient
import SyncProtocol
import SyncProtocolTesting
import SyncServer
import Testing

/// SyncClient's HTTP transport against a real listening server, driven by the sync engine.
@Suite("SyncClient against a live server")
struct SyncClientLiveTests {
    /// Creates a team and adviser, and enrols `count` devices through the HTTP transport.
    static func enrolDevices(
        _ count: Int, storage: any SyncStorage, baseURL: String, trustedPEM: String? = nil, team: String
    ) async throws -> [EnrollResponse] {
        let adviser = TestEnvironment.uniqueName("adviser")
        try await storage.addAdviser(named: adviser, toTeam: team, canPurge: nil, at: Date())
        let transport = try HTTPSyncTransport(
            configuration: .init(baseURL: baseURL, trustedCertificatesPEM: trustedPEM), logger: TestEnvironment.logger)
        defer { Task { try? await transport.shutdown() } }
        var devices: [EnrollResponse] = []
        for index in 0..<count {
            let code = Secrets.makeEnrolmentCode()
            try await storage.storeEnrolmentCode(
                digest: Secrets.enrolmentCodeDigest(code), adviser: adviser,
                expiresAt: Date().addingTimeInterval(600), at: Date())
            devices.append(try await transport.enroll(EnrollRequest(code: code, deviceName: "device-\(index)")))
        }
        return devices
    }

    /// Syncs one replica once through a fresh transport to `baseURL`.
    @discardableResult
    static func sync(
        _ replica: InMemoryReplicaStorage, device: EnrollResponse, team: String, baseURL: String,
        trustedPEM: String? = nil
    ) async throws -> SyncSummary {
        let transport = try HTTPSyncTransport(
            configuration: .init(baseURL: baseURL, token: device.token, trustedCertificatesPEM: trustedPEM),
            logger: TestEnvironment.logger)
        do {
            let engine = SyncEngine(
                storage: replica, transport: transport,
                configuration: .init(team: team, replica: device.replica, maxBatchRecords: 50, pageLimit: 40))
            let summary = try await engine.sync()
            try await transport.shutdown()
            return summary
        } catch {
            try? await transport.shutdown()
            throw error
        }
    }

    static func noteValues(_ body: String) -> [String: FieldValue] {
        [
            "subject": .reference("y-417"), "kind": .string("walk"),
            "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_790_000_000_000)), "body": .text(body),
        ]
    }

    @Test func twoDevicesSyncNotesAndMergeConcurrentEdits() async throws {
        let storage = try Backend.sqlite.makeStorage()
        try await LiveServer.run(storage: storage) { baseURL in
            let team = TestEnvironment.uniqueName("team")
            _ = try await storage.createTeam(named: team, at: Date())
            let devices = try await Self.enrolDevices(2, storage: storage, baseURL: baseURL, team: team)
            let laptop = InMemoryReplicaStorage(replica: devices[0].replica)
            let phone = InMemoryReplicaStorage(replica: devices[1].replica)

            for index in 0..<120 {
                try await laptop.create(
                    collection: "notes", id: "n\(index)", values: Self.noteValues("note \(index)\n"),
                    schema: Schemas.notes)
            }
            let sent = try await Self.sync(laptop, device: devices[0], team: team, baseURL: baseURL)
            #expect(sent.sent == 120)
            let received = try await Self.sync(phone, device: devices[1], team: team, baseURL: baseURL)
            #expect(received.received == 120)
            #expect(await phone.records() == laptop.records())

            // Both edit the same note offline, different lines of the body.
            let key = RecordKey(collection: "notes", id: "n7")
            try await laptop.update(key, values: ["body": .text("note 7\nlaptop line\n")])
            try await phone.update(key, values: ["kind": .string("phone")])
            try await Self.sync(laptop, device: devices[0], team: team, baseURL: baseURL)
            try await Self.sync(phone, device: devices[1], team: team, baseURL: baseURL)
            try await Self.sync(laptop, device: devices[0], team: team, baseURL: baseURL)
            let merged = try #require(await laptop.record(key))
            #expect(await phone.record(key) == merged)
            #expect(await laptop.records() == phone.records())
        }
    }

    @Test func transportErrorsSayWhetherToRetry() async throws {
        let storage = try Backend.sqlite.makeStorage()
        var configuration = ServerConfiguration(port: 0)
        configuration.deviceRateLimit = .init(burst: 2, perSecond: 0.01)
        try await LiveServer.run(storage: storage, configuration: configuration) { baseURL in
            let team = TestEnvironment.uniqueName("team")
            _ = try await storage.createTeam(named: team, at: Date())
            let device = try #require(
                try await Self.enrolDevices(1, storage: storage, baseURL: baseURL, team: team).first)

            let stranger = try HTTPSyncTransport(
                configuration: .init(baseURL: baseURL, token: "wrong"), logger: TestEnvironment.logger)
            let unauthorized = await #expect(throws: SyncTransportError.self) {
                _ = try await stranger.hello(HelloRequest())
            }
            #expect(unauthorized?.body?.code == .unauthorized && unauthorized?.isRetryable == false)
            try await stranger.shutdown()

            let transport = try HTTPSyncTransport(
                configuration: .init(baseURL: baseURL, token: device.token), logger: TestEnvironment.logger)
            _ = try await transport.hello(HelloRequest())
            _ = try await transport.pull(PullRequest(), team: team)
            let limited = await #expect(throws: SyncTransportError.self) {
                _ = try await transport.pull(PullRequest(), team: team)
            }
            #expect(limited?.body?.code == .rateLimited && limited?.isRetryable == true)
            #expect((limited?.retryAfter ?? .zero) >= .seconds(1))
            try await transport.shutdown()
        }

        // Nothing listens there: no connection can be made, which is said plainly and not retried.
        let closed = try HTTPSyncTransport(
            configuration: .init(baseURL: "http://127.0.0.1:9", requestTimeout: .seconds(1)),
            logger: TestEnvironment.logger)
        let refused = await #expect(throws: SyncTransportError.self) {
            _ = try await closed.hello(HelloRequest())
        }
        #expect(refused?.kind == .cannotConnect, "\(String(describing: refused))")
        let reason = refused?.message ?? ""
        #expect(reason.hasPrefix("connection refused") || reason.hasPrefix("no answer"), "\(reason)")
        #expect(refused?.isRetryable == false)
        try await closed.shutdown()
    }
}
