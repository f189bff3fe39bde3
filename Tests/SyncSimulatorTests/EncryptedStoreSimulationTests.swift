import SyncProtocol
import SyncSimulator
import Testing

/// A few devices on real encrypted LocalStores: the engine's storage protocol, the stores' transactions and
/// projections, and kill-and-reopen go through the real code.
@Suite("Simulation with encrypted LocalStores")
struct EncryptedStoreSimulationTests {
    @Test func encryptedStoresConvergeThroughHarshFaults() async throws {
        let options = SimulationOptions(
            seed: 11, devices: 4, operationsPerDevice: 25, storeKind: .encrypted, faults: .harsh, faultsName: "harsh")
        let report = try await Simulation(options: options).run()
        #expect(report.passed, "\(report.summary)\n\(report.recentEvents.suffix(20).joined(separator: "\n"))")
        #expect(report.stats.operationCount > 60)
        #expect(report.stats.syncsCompleted > 15)
        // Apps were killed and their stores closed and reopened from disk.
        #expect(report.stats.kills > 0)
    }

    @Test func encryptedRunsAreDeterministicToo() async throws {
        // Record and replica ids of LocalStores are random; the log names records by alias and every choice
        // is made in creation or device order, so the runs still match event for event.
        let options = SimulationOptions(seed: 5, devices: 3, operationsPerDevice: 10, storeKind: .encrypted)
        let first = try await Simulation(options: options).run()
        let second = try await Simulation(options: options).run()
        #expect(first.passed && second.passed)
        #expect(first.eventHash == second.eventHash)
    }
}
