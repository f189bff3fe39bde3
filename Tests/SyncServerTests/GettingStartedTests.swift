import FieldsyncTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import LocalStore
import Logging
import SyncClient
import SyncProtocol
import SyncServer
import Testing

// The samples of the "Getting started" articles of SyncClient (SyncClient.docc/GettingStarted.md) and SyncServer
// (SyncServer.docc/GettingStarted.md), compiled here against the public API only (no `@testable`), and run by the
// tests below: the client's against a live server, the server's in process.

// MARK: SyncClient's sample

/// The store has no enrolment yet (`fieldcli enrol`).
struct NotEnrolled: Error {}

/// Pushes the store's outbox to its team's server, then merges what the team wrote meanwhile.
func syncWithServer(_ store: LocalStore) async throws -> SyncSummary {
    // The enrolment (server, team, device token) is kept inside the encrypted store.
    guard let (enrolment, token) = try store.enrolment() else { throw NotEnrolled() }
    let transport = try HTTPSyncTransport(
        configuration: SyncClientConfiguration(baseURL: enrolment.serverURL, token: token),
        logger: Logger(label: "fieldsync.sync"))
    let engine = SyncEngine(
        storage: store, transport: transport,
        configuration: .init(team: enrolment.team, replica: store.replicaID))
    do {
        let summary = try await engine.sync()
        try await transport.shutdown()
        return summary
    } catch {
        try? await transport.shutdown()
        throw error
    }
}

// MARK: SyncServer's sample

/// The sync server on one SQLite database, as `sync-server serve` builds it.
func makeServer(databasePath: String, port: Int) throws -> some ApplicationProtocol {
    let logger = Logger(label: "fieldsync.server")
    var configuration = ServerConfiguration()
    configuration.host = "127.0.0.1"
    configuration.port = port
    let storage = try SQLiteStorage(path: databasePath, logger: logger)
    return try SyncServerApplication.make(storage: storage, configuration: configuration, logger: logger)
}

// Migrates the database before it listens, then serves until SIGTERM or SIGINT:
// try await makeServer(databasePath: "/var/lib/fieldsync/sync.sqlite", port: 8080).runService()

@Suite("Getting started: SyncClient and SyncServer")
struct SyncGettingStartedTests {
    @Test func theClientSampleSyncsAStoreWithALiveServer() async throws {
        let home = try TemporaryDirectory("getting-started")
        let storage = try SQLiteStorage(path: home.file("server.sqlite").path, logger: TestEnvironment.logger)
        let store = try LocalStore.create(
            at: home.file("laptop"), passphrase: Passphrase("test"), adviser: "mette",
            options: .init(encryption: .encrypted(.testing)))
        defer { store.close() }
        _ = try store.addSubject(NewSubject(reference: "ung-0142"))
        _ = try store.addNote(NewNote(subjectReference: "ung-0142", kind: .walk, body: "Walked past the school."))
        await #expect(throws: NotEnrolled.self) { try await syncWithServer(store) }

        let summary = try await LiveServer.run(storage: storage) { baseURL in
            // Enrol the store as `fieldcli enrol` does, with the replica id it writes with.
            let team = TestEnvironment.uniqueName("team")
            _ = try await storage.createTeam(named: team, at: Date())
            try await storage.addAdviser(named: "mette", toTeam: team, canPurge: nil, at: Date())
            let code = Secrets.makeEnrolmentCode()
            try await storage.storeEnrolmentCode(
                digest: Secrets.enrolmentCodeDigest(code), adviser: "mette", expiresAt: Date().addingTimeInterval(600),
                at: Date())
            let transport = try HTTPSyncTransport(
                configuration: .init(baseURL: baseURL), logger: TestEnvironment.logger)
            let response = try await transport.enroll(
                EnrollRequest(code: code, deviceName: "laptop", replica: store.replicaID))
            try await transport.shutdown()
            try store.saveEnrolment(
                Enrolment(serverURL: baseURL, deviceID: response.deviceID, team: team), token: response.token)

            return try await syncWithServer(store)
        }
        #expect(summary.sent == 2)
        #expect(try store.syncStatus().unsyncedChanges == 0)
    }

    @Test func theServerSampleServesTheAPI() async throws {
        let home = try TemporaryDirectory("getting-started")
        let app = try makeServer(databasePath: home.file("server.sqlite").path, port: 0)
        try await app.test(.router) { client in
            let health = try await client.executeRequest(uri: "/health", method: .get, headers: [:], body: nil)
            #expect(health.status == .ok)
        }
    }

    @Test(arguments: ["SyncClient", "SyncServer"])
    func theArticleHoldsTheSampleOfThisFile(library: String) throws {
        let sample = try ArticleSample(article: ArticleSample.article("GettingStarted.md", of: library))
        let mismatch = try sample.mismatch(inTestFile: URL(fileURLWithPath: #filePath))
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }
}
