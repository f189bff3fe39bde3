import SyncProtocol
import SyncSimulator
import Testing

/// A few devices on real encrypted LocalStores: the engine's storage protocol, the stores' projections and
/// kill-and-reopen go through the real code.
@Suite("Simulation with encrypted LocalStores")
struct EncryptedStoreSimulationTests {
    @Test func encryptedStoresConverge() async throws {
        let options = SimulationOptions(seed: 11, devices: 4, operationsPerDevice: 25, storeKind: .encrypted)
        let report = try await Simulation(options: options).run()
        #expect(report.passed, "\(report.summary)\n\(report.recentEvents.suffix(20).joined(separator: "\n"))")
        #expect(report.stats.operationCount > 60)
        #expect(report.stats.syncsCompleted > 15)
    }
}
