import Foundation
import SyncProtocolTesting
import Testing

@testable import SyncProtocol

/// Properties of the merge over random histories (seeded; set FIELDSYNC_SEED to replay one).
@Suite("Record merge properties")
struct RecordPropertyTests {
    @Test func randomHistoriesConvergeAndLoseNoWrite() throws {
        var totals = HistorySimulation.Stats()
        var cases = 0
        for seed in PropertySeeds.seeds(count: 1500, salt: 10) {
            var simulation = HistorySimulation(seed: seed)
            simulation.run()
            cases += 1
            let failed = check(simulation, seed: seed)
            totals.operations += simulation.stats.operations
            totals.conflictsSeen += simulation.stats.conflictsSeen
            totals.cleanTextMerges += simulation.stats.cleanTextMerges
            totals.resolutions += simulation.stats.resolutions
            totals.purges += simulation.stats.purges
            totals.deliveries += simulation.stats.deliveries
            if failed {
                Issue.record("random history failed; replay with FIELDSYNC_SEED=\(seed)")
                break
            }
        }
        // The generator must actually exercise the interesting paths, or the test proves little.
        if cases > 1 {
            #expect(totals.conflictsSeen > 100 && totals.cleanTextMerges > 50 && totals.resolutions > 100, "\(totals)")
            #expect(totals.purges > 10 && totals.deliveries > 5_000, "\(totals)")
        }
    }

    /// Checks one finished history; returns whether anything failed.
    private func check(_ simulation: HistorySimulation, seed: UInt64) -> Bool {
        var failed = false
        func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition {
                failed = true
                Issue.record("seed \(seed): \(message())")
            }
        }
        let final = simulation.states[0]
        // Convergence: every replica ends in the same state.
        for (index, state) in simulation.states.enumerated() {
            expect(state == final, "replica \(index) differs from replica 0")
        }
        expect((try? final.validateStructure()) != nil, "final state invalid")
        expect((try? Schemas.notes.validate(final)) != nil, "final state breaks the schema")

        // The final state is the join of every state any operation produced, in any order,
        // with duplicates: commutative, associative, idempotent.
        var random = SplitMix64(seed: seed ^ 0xABCD)
        let empty = Record(collection: HistorySimulation.collection, id: HistorySimulation.id)
        for _ in 0..<2 {
            var pool = simulation.snapshots + simulation.snapshots.filter { _ in random.chance(0.3) }
            pool.shuffle(using: &random)
            let folded = pool.reduce(empty) { $0.merged(with: $1) }
            expect(folded == final, "folding the snapshots in another order gives another state")
        }
        let snapshots = simulation.snapshots
        for _ in 0..<6 where !snapshots.isEmpty {
            let x = random.pick(snapshots)
            let y = random.pick(snapshots)
            let z = random.pick(snapshots)
            expect(x.merged(with: y) == y.merged(with: x), "merge is not commutative")
            expect(x.merged(with: y).merged(with: z) == x.merged(with: y.merged(with: z)), "merge is not associative")
            expect(x.merged(with: x) == x && x.merged(with: y).merged(with: y) == x.merged(with: y), "not idempotent")
        }
        // The wire form round-trips exactly.
        if let data = try? CanonicalJSON.encode(final) {
            expect((try? CanonicalJSON.decode(Record.self, from: data)) == final, "JSON round trip changes the state")
        } else {
            expect(false, "final state does not encode")
        }

        // Every operation reached every replica.
        for operation in simulation.operations {
            expect(final.clock.contains(operation.dot), "operation \(operation.dot) missing from the final clock")
        }
        if final.isPurged {
            expect(
                final.registers.isEmpty && final.tagSets.isEmpty && final.presence.isEmpty, "purged record has content")
            for state in simulation.states {
                let json = (try? CanonicalJSON.string(state)) ?? "tok"
                expect(!json.contains("tok") && !json.contains("walk"), "purged content survives in \(json)")
            }
            return failed
        }

        // No write is lost: each is in the final state, or a later operation had seen it when it
        // overwrote the same field / touched the same tag / made the next presence entry.
        for write in simulation.writes {
            let overwritten: (HistorySimulation.Operation) -> Bool
            var present: Bool
            switch write.target {
            case .register(let field, let value):
                present = final.writes(of: field).contains { $0.dot == write.dot && $0.value == value }
                overwritten = { $0.registers.contains(field) && $0.context.contains(write.dot) }
            case .tag(let field, let tag):
                present = final.tagSets[field]?[tag]?.contains(write.dot) ?? false
                overwritten = { $0.tags.contains(tag) && $0.context.contains(write.dot) }
            case .presence(let live):
                present = final.presence[write.dot] == live
                overwritten = { $0.context.contains(write.dot) }
            }
            let covered = simulation.operations.contains(where: overwritten)
            expect(present || covered, "write \(write.dot) \(write.target) was lost")
            // And a write still present was not knowingly overwritten (that would be a zombie).
            if case .register = write.target, present {
                expect(!covered, "write \(write.dot) \(write.target) survived a later overwrite")
            }
        }

        // Conflicts are shown exactly when candidates disagree and cannot be merged.
        for name in final.registers.keys {
            let candidates = final.writes(of: name)
            let values = Set(candidates.map(\.value))
            if values.count > 1 && name != "body" {
                expect(final.isInConflict(field: name), "'\(name)' has \(values.count) values but no conflict")
            }
            if values.count == 1 {
                expect(
                    !final.isInConflict(field: name)
                        && final.value(name) == values.first.flatMap { $0 == .null ? nil : $0 },
                    "'\(name)' shows the wrong value")
            }
        }
        let hasDelete = final.presence.values.contains(false)
        let hasEdit = final.presence.values.contains(true)
        expect(final.isDeleted == (hasDelete && !hasEdit), "deleted flag does not follow presence")
        expect(
            final.conflicts.contains { if case .deleteVersusEdit = $0 { true } else { false } }
                == (hasDelete && hasEdit),
            "delete-vs-edit conflict not shown")
        return failed
    }
}
