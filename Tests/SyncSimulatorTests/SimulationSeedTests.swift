import SyncProtocol
import SyncSimulator
import Testing

/// The fixed seeds CI runs: every one must converge with nothing lost. A failure names the seed and the
/// `fieldcli simulate` command that replays it.
@Suite("Simulation seeds")
struct SimulationSeedTests {
    static let standardSeeds: [UInt64] = [1, 2, 3, 5, 8]
    static let harshSeeds: [UInt64] = [21, 34]

    @Test("standard faults", arguments: standardSeeds)
    func standardFaults(seed: UInt64) async throws {
        let report = try await Simulation(
            options: SimulationOptions(
                seed: seed, devices: 10, operationsPerDevice: 25)
        ).run()
        #expect(report.passed, "\(Self.explain(report))")
        #expect(report.stats.operationCount > 10 * 25 / 2)
    }

    @Test("harsh faults", arguments: harshSeeds)
    func harshFaults(seed: UInt64) async throws {
        let report = try await Simulation(
            options: SimulationOptions(
                seed: seed, devices: 8, operationsPerDevice: 25, faults: .harsh, faultsName: "harsh")
        ).run()
        #expect(report.passed, "\(Self.explain(report))")
        // Harsh runs really are harsh: every kind of fault happened.
        #expect(report.stats.requestsLost + report.stats.responsesLost > 0)
        #expect(report.stats.duplicates > 0)
        #expect(report.stats.kills > 0)
        #expect(report.stats.storageErrors > 0)
    }

    @Test func concurrentEditsProduceConflictsAndMerges() async throws {
        // A busy team with few subjects: colleagues edit the same notes while offline.
        let report = try await Simulation(
            options: SimulationOptions(
                seed: 99, devices: 10, operationsPerDevice: 30, meanSyncInterval: 4 * 3_600_000,
                syncAfterWrite: 0.02)
        ).run()
        #expect(report.passed, "\(Self.explain(report))")
        #expect(report.conflictedRecords > 0, "the workload should leave some conflicts for people to settle")
        #expect((report.stats.operations["resolve"] ?? 0) + (report.stats.operations["resolve-delete"] ?? 0) > 0)
        #expect((report.stats.operations["purge"] ?? 0) > 0 || report.purgedRecords == 0)
    }

    static func explain(_ report: SimulationReport) -> String {
        report.summary + "\nlast events:\n" + report.recentEvents.suffix(25).joined(separator: "\n")
    }
}
