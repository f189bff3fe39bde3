import Foundation
import SyncProtocol
import SyncSimulator
import Testing

/// The shipped server on its other backend: the same simulations over PostgreSQL (a database of the run's own
/// on the test server), so the oracle vouches for both storage backends (issue #11). With `CI` set, a missing
/// PostgreSQL fails these tests rather than skipping them.
@Suite("Simulation through the shipped server on PostgreSQL", .serialized)
struct PostgresSimulationTests {
    /// The test server's URL; `nil` outside CI when none is configured (the tests then pass vacuously, and say so).
    static func database() throws -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["FIELDSYNC_TEST_POSTGRES_URL"], !url.isEmpty { return url }
        if environment["CI"] != nil {
            throw PostgresMissing()
        }
        print("PostgresSimulationTests: FIELDSYNC_TEST_POSTGRES_URL is not set; run through scripts/postgres-test.sh")
        return nil
    }

    struct PostgresMissing: Error, CustomStringConvertible {
        var description: String {
            "FIELDSYNC_TEST_POSTGRES_URL is not set but CI is: run the tests through scripts/postgres-test.sh"
        }
    }

    @Test(arguments: [1, 2] as [UInt64])
    func theOraclePassesOnPostgreSQL(seed: UInt64) async throws {
        guard let database = try Self.database() else { return }
        let options = SimulationOptions(
            seed: seed, devices: 10, operationsPerDevice: 20, serverDatabase: database)
        let report = try await Simulation(options: options).run()
        #expect(report.passed, "\(report.summary)")
        #expect(report.stats.operationCount > 0 && report.converged)
        #expect(report.replayCommand.contains("--server-database postgres://"))
    }

    @Test func aLastWriterWinsServerIsCaughtOnPostgreSQL() async throws {
        guard let database = try Self.database() else { return }
        let report = try await Simulation(
            options: SimulationOptions(
                seed: 3, devices: 8, operationsPerDevice: 25, merge: .lastWriterWins, serverDatabase: database)
        ).run()
        #expect(!report.passed)
        #expect(report.failures.contains { $0.kind == "lost-write" })
    }

    @Test func bothBackendsRunTheSameSimulation() async throws {
        // Same seed, same workload: the shipped server decides the same on SQLite and PostgreSQL, so the runs
        // are the same event for event.
        guard let database = try Self.database() else { return }
        let sqlite = try await Simulation(options: SimulationOptions(seed: 4, devices: 8, operationsPerDevice: 15))
            .run()
        let postgres = try await Simulation(
            options: SimulationOptions(
                seed: 4, devices: 8, operationsPerDevice: 15, serverDatabase: database)
        ).run()
        #expect(sqlite.passed && postgres.passed, "\(sqlite.summary)\n\(postgres.summary)")
        #expect(sqlite.eventHash == postgres.eventHash)
        #expect(sqlite.stats == postgres.stats)
    }
}
