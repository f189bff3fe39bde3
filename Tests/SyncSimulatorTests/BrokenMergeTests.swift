import Foundation
import SyncProtocol
import SyncSimulator
import Testing

/// The oracle must notice a wrong merge. These tests swap the server's merge for broken ones and expect
/// the run to fail with the right kind of failure, and to say how to replay it.
@Suite("Broken merges are caught")
struct BrokenMergeTests {
    @Test func lastWriterWinsLosesWritesAndIsCaught() async throws {
        let report = try await Simulation(
            options: SimulationOptions(
                seed: 3, devices: 8, operationsPerDevice: 25, merge: .lastWriterWins)
        ).run()
        #expect(!report.passed)
        #expect(report.failures.contains { $0.kind == "lost-write" })
        #expect(report.summary.contains("replay: fieldcli simulate --seed 3 --devices 8 --ops 25"))
        #expect(report.replayCommand.contains("--merge last-writer-wins"))
    }

    @Test func aMergeThatIgnoresPurgesIsCaught() async throws {
        // The server keeps its content when a purge arrives: legal erasure silently undone.
        let forgetful = MergeFunction(name: "purge-forgetting") { stored, pushed in
            pushed.isPurged && !stored.isPurged ? stored : stored.merged(with: pushed)
        }
        let report = try await Simulation(
            options: SimulationOptions(
                seed: 5, devices: 8, operationsPerDevice: 25, faults: .none, faultsName: "none", merge: forgetful,
                purgeRate: 0.02)
        ).run()
        #expect(!report.passed)
        #expect(report.failures.contains { $0.kind == "purge" || $0.kind == "divergence" })
    }

    @Test func theCorrectMergeThroughTheSameHookPasses() async throws {
        // The hook itself is sound: the protocol's merge passed as a custom function converges.
        let same = MergeFunction(name: "causal-via-hook") { $0.merged(with: $1) }
        let report = try await Simulation(
            options: SimulationOptions(
                seed: 3, devices: 8, operationsPerDevice: 25, merge: same)
        ).run()
        #expect(report.passed, "\(report.summary)")
    }
}
