import SyncProtocol
import SyncSimulator
import Testing

/// Protocol version 2 in the simulator: partner teams share courses with consent, share notes, unshare and hand
/// over (at once, or with an overlap the server ends on its day), through the shipped server. The oracle checks that
/// every device holds exactly what its team reads; broken servers and devices must be caught.
@Suite("Scopes in the simulation")
struct ScopeSimulationTests {
    /// Several teams of a few advisers each, so there are partners to share with.
    static func options(seed: UInt64, devices: Int = 24, operations: Int = 30) -> SimulationOptions {
        SimulationOptions(
            seed: seed, devices: devices, operationsPerDevice: operations, workload: .scopes, advisersPerTeam: 3...5)
    }

    static func scopeOperations(_ report: SimulationReport) -> Int {
        ["share-subject", "unshare-subject", "share-note", "handover", "handover-overlap"]
            .reduce(0) { $0 + (report.stats.operations[$1] ?? 0) }
    }

    @Test("the correct system passes", arguments: [1, 2, 3, 4] as [UInt64])
    func correctSystemPasses(seed: UInt64) async throws {
        let report = try await Simulation(options: Self.options(seed: seed)).run()
        #expect(report.passed, "\(SimulationSeedTests.explain(report))")
        #expect(report.teams >= 3)
        #expect(Self.scopeOperations(report) > 10, "\(report.stats.operations)")
    }

    @Test func sharesHandoversAndAccessEndsHappen() async throws {
        let report = try await Simulation(options: Self.options(seed: 7, devices: 30, operations: 40)).run()
        #expect(report.passed, "\(SimulationSeedTests.explain(report))")
        #expect((report.stats.operations["share-subject"] ?? 0) > 0)
        #expect((report.stats.operations["unshare-subject"] ?? 0) > 0)
        #expect((report.stats.operations["share-note"] ?? 0) > 0)
        #expect((report.stats.operations["handover"] ?? 0) > 0)
        #expect((report.stats.operations["handover-overlap"] ?? 0) > 0)
        // The server ended overlaps on their day, and devices dropped what their team stopped reading.
        #expect(report.stats.accessEnded > 0)
        #expect(report.stats.recordsRemoved > 0)
    }

    @Test func scopeRunsAreDeterministic() async throws {
        // The server's replica id is fixed for simulations (its own writes, access that ends, carry the same dots).
        let options = Self.options(seed: 5, devices: 16, operations: 20)
        let first = try await Simulation(options: options).run()
        let second = try await Simulation(options: options).run()
        #expect(first.passed && second.passed)
        #expect(first.eventHash == second.eventHash)
        #expect(first.stats == second.stats)
    }

    @Test func aServerThatForgetsToRouteNarrowingIsCaught() async throws {
        var options = Self.options(seed: 2)
        options.serverForgetsNarrowing = true
        let report = try await Simulation(options: options).run()
        #expect(!report.passed)
        #expect(report.failures.contains { $0.kind == "divergence" }, "\(report.failures)")
        #expect(report.replayCommand.contains("--server-forgets-narrowing"))
    }

    @Test func devicesThatIgnoreRemovalsAreCaught() async throws {
        var options = Self.options(seed: 2)
        options.devicesIgnoreRemovals = true
        let report = try await Simulation(options: options).run()
        #expect(!report.passed)
        #expect(report.failures.contains { $0.kind == "divergence" }, "\(report.failures)")
    }

    @Test func encryptedStoresDropWhatTheirTeamStopsReading() async throws {
        // Real LocalStores in three teams of two advisers: removals go through the store's transaction, and the
        // oracle checks its tables and search index.
        let options = SimulationOptions(
            seed: 3, devices: 9, operationsPerDevice: 25, storeKind: .encrypted, workload: .scopes,
            advisersPerTeam: 2...2)
        let report = try await Simulation(options: options).run()
        #expect(report.passed, "\(SimulationSeedTests.explain(report))")
        #expect(report.stats.recordsRemoved > 0)
    }

    @Test func theClassicWorkloadHasNoScopeActions() async throws {
        let report = try await Simulation(
            options: SimulationOptions(
                seed: 2, devices: 24, operationsPerDevice: 20, workload: .classic, advisersPerTeam: 3...5)
        ).run()
        #expect(report.passed, "\(SimulationSeedTests.explain(report))")
        #expect(Self.scopeOperations(report) == 0)
    }
}
