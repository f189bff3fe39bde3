import SyncProtocol
import SyncSimulator
import Testing

@Suite("Simulation smoke")
struct SimulationSmokeTests {
    @Test func smallRunConverges() async throws {
        let report = try await Simulation(options: SimulationOptions(seed: 1, devices: 12, operationsPerDevice: 30))
            .run()
        print(report.summary)
        #expect(report.passed, "\(report.summary)\n\(report.recentEvents.suffix(30).joined(separator: "\n"))")
    }
}

@Suite("Broken merge probe")
struct BrokenProbe {
    @Test func lwwIsCaught() async throws {
        let report = try await Simulation(options: SimulationOptions(
            seed: 1, devices: 12, operationsPerDevice: 30, merge: .lastWriterWins)).run()
        print(report.summary)
        #expect(!report.passed)
    }
}
