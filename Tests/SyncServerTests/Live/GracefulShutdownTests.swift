import Foundation
import ServiceLifecycle
import SyncClient
import SyncProtocol
import SyncServer
import Testing

@Suite("Graceful shutdown")
struct GracefulShutdownTests {
    /// Shutting down while devices push: every acknowledged batch is stored whole, and no batch is stored
    /// in part (a push is one transaction that commits or rolls back).
    @Test(arguments: Backend.enabled)
    func shutdownDuringPushesLeavesNothingHalfWritten(_ backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let team = TestEnvironment.uniqueName("team")
        let batchSize = 40
        let pushed = Counter()
        // Record ids unique to this run: the PostgreSQL test database is shared by every test of a run.
        let run = String(UUID().uuidString.prefix(8))
        let acknowledged = try await LiveServer.run(storage: storage) { baseURL, group in
            _ = try await storage.createTeam(named: team, at: Date())
            let devices = try await SyncClientLiveTests.enrolDevices(4, storage: storage, baseURL: baseURL, team: team)
            return try await withThrowingTaskGroup(of: [String].self) { pushers in
                for (index, device) in devices.enumerated() {
                    pushers.addTask {
                        // A generous timeout: under a loaded test run a PostgreSQL push can take seconds, and a pusher
                        // stops at its first failure.
                        let transport = try HTTPSyncTransport(
                            configuration: .init(baseURL: baseURL, token: device.token, requestTimeout: .seconds(20)),
                            logger: TestEnvironment.logger)
                        var done: [String] = []
                        for batch in 0..<1_000 {
                            let batchID = "d\(index)\(run)-b\(batch)"
                            let records = try (0..<batchSize).map { item in
                                try Record.create(
                                    collection: "notes", id: "\(batchID)-\(item)",
                                    values: SyncClientLiveTests.noteValues("\(batchID) \(item)\n"),
                                    by: device.replica, schema: Schemas.notes)
                            }
                            do {
                                _ = try await transport.push(
                                    PushBatch(replica: device.replica, batchID: batchID, records: records), team: team)
                                done.append(batchID)
                                await pushed.increment()
                            } catch {
                                break
                            }
                        }
                        try? await transport.shutdown()
                        return done
                    }
                }
                // Shut down while pushes are under way: once a few were acknowledged (on a loaded machine that
                // takes longer than on an idle one), or after 60 s at the latest.
                let deadline = ContinuousClock.now + .seconds(60)
                while await pushed.value < 3, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                await group.triggerGracefulShutdown()
                var all: [String] = []
                for try await done in pushers { all += done }
                return all
            }
        }
        #expect(!acknowledged.isEmpty, "some pushes should have completed before the shutdown")

        // Read back what was stored (a PostgreSQL client runs only once: read with a new one).
        let reader = backend == .postgres ? try backend.makeStorage() : storage
        try await reader.withRunning(migrate: false) { storage in
            var byBatch: [String: Int] = [:]
            var cursor: Int64 = 0
            while true {
                let page = try await storage.pull(
                    team: team, after: cursor, limit: 1_000, version: 2,
                    audit: AuditEvent(at: Date(), action: .pull, deviceID: nil, adviser: nil, team: team))
                for record in page.records {
                    let batch = record.key.id.split(separator: "-").prefix(2).joined(separator: "-")
                    byBatch[batch, default: 0] += 1
                }
                cursor = page.nextSeq
                if !page.hasMore { break }
            }
            for (batch, count) in byBatch {
                #expect(count == batchSize, "batch \(batch) stored in part: \(count) of \(batchSize)")
            }
            for batch in acknowledged {
                #expect(byBatch[batch] == batchSize, "acknowledged batch \(batch) is missing")
            }
        }
    }
}

/// Counts acknowledged pushes across the pushing tasks.
private actor Counter {
    private(set) var value = 0

    func increment() { value += 1 }
}
