import Foundation
import Testing

@testable import SyncProtocol

/// One property per merge rule of the architecture, each over many random cases.
@Suite("Record merge rules, one by one")
struct RecordClaimPropertyTests {
    static let stringFields = ["kind", "place"]

    /// A random note with a body of `lines` distinct lines, written by `a`.
    static func note(_ random: inout SplitMix64, lines: Int) -> Record {
        let body = (0..<lines).map { "line \($0) \(random.next() % 10_000)\n" }.joined()
        var values = Fixture.noteValues
        values["body"] = .text(body)
        values["place"] = .string("place \(random.next() % 100)")
        return try! Record.create(
            collection: "notes", id: "n-\(random.next() % 1000)", values: values, by: Fixture.a,
            schema: Schemas.notes)
    }

    @Test func fieldWrittenOnOneSideOnlyTakesThatSide() {
        for seed in PropertySeeds.seeds(count: 400, salt: 20) {
            var random = SplitMix64(seed: seed)
            var base = Self.note(&random, lines: 3)
            // Some shared history first.
            if random.chance(0.5) { base = base.updating(["kind": .string("phone")], by: Fixture.c) }
            let fields = ["kind", "place", "followUp", "body"].shuffled(using: &random)
            let split = Int.random(in: 1..<fields.count, using: &random)
            var left = base
            var right = base
            var expected: [String: FieldValue] = [:]
            for field in fields[..<split] {
                let value = Self.newValue(field, "left", &random)
                left = left.updating([field: value], by: Fixture.a)
                expected[field] = value
            }
            for field in fields[split...] {
                let value = Self.newValue(field, "right", &random)
                right = right.updating([field: value], by: Fixture.b)
                expected[field] = value
            }
            for merged in [left.merged(with: right), right.merged(with: left)] {
                #expect(!merged.isInConflict, "seed \(seed)")
                for (field, value) in expected {
                    #expect(merged.value(field) == value, "seed \(seed) field \(field)")
                }
                #expect(merged.value("subject") == base.value("subject"), "seed \(seed)")
            }
        }
    }

    static func newValue(_ field: String, _ side: String, _ random: inout SplitMix64) -> FieldValue {
        switch field {
        case "followUp": .timestamp(Timestamp(millisecondsSince1970: Int64(random.next() % 1_000_000_000)))
        case "body": .text("\(side) \(random.next())\n")
        default: .string("\(side) \(random.next() % 1000)")
        }
    }

    @Test func concurrentTextEditsMergeOrConflict() {
        var clean = 0
        var conflicting = 0
        for seed in PropertySeeds.seeds(count: 400, salt: 21) {
            var random = SplitMix64(seed: seed)
            let count = Int.random(in: 3...12, using: &random)
            let base = Self.note(&random, lines: count)
            var lines = ThreeWayMerge.lines(of: base.value("body")!.textValue!).map(String.init)
            let i = Int.random(in: 0..<count, using: &random)
            let j = Int.random(in: 0..<count, using: &random)
            var ours = lines
            ours[i] = "ours \(seed)\n"
            var theirs = lines
            theirs[j] = "theirs \(seed)\n"
            let left = base.updating(["body": .text(ours.joined())], by: Fixture.a)
            let right = base.updating(["body": .text(theirs.joined())], by: Fixture.b)
            let merged = left.merged(with: right)
            #expect(merged == right.merged(with: left), "seed \(seed)")
            if abs(i - j) >= 2 {
                clean += 1
                lines[i] = ours[i]
                lines[j] = theirs[j]
                #expect(!merged.isInConflict && merged.value("body") == .text(lines.joined()), "seed \(seed)")
            } else {
                conflicting += 1
                #expect(merged.isInConflict(field: "body"), "seed \(seed)")
                let candidates = Set(merged.writes(of: "body").compactMap(\.value.textValue))
                #expect(candidates == [ours.joined(), theirs.joined()], "seed \(seed)")
                // A later edit on any replica covers both and settles the field.
                let settled = merged.updating(["body": .text("settled\n")], by: Fixture.c)
                #expect(
                    !settled.isInConflict && settled.merged(with: left).merged(with: right) == settled, "seed \(seed)")
            }
        }
        #expect(clean > 50 && conflicting > 50)
    }

    @Test func tagsAreAddWinsObservedRemove() {
        for seed in PropertySeeds.seeds(count: 400, salt: 22) {
            var random = SplitMix64(seed: seed)
            let pool = ["a", "b", "c", "d"]
            var base = Self.note(&random, lines: 1)
            base = base.updating(["tags": .tags(Set(pool.filter { _ in random.chance(0.5) }))], by: Fixture.c)
            let removals = Set(pool.filter { _ in random.chance(0.5) })
            let adds = Set(pool.filter { _ in random.chance(0.5) })
            let left = base.removingTags(removals, from: "tags", by: Fixture.a)
            let right = base.addingTags(adds, to: "tags", by: Fixture.b)
            let shownBefore = base.value("tags")?.tagsValue ?? []
            let expected = shownBefore.subtracting(removals).union(adds)
            for merged in [left.merged(with: right), right.merged(with: left)] {
                #expect((merged.value("tags")?.tagsValue ?? []) == expected, "seed \(seed)")
                #expect(!merged.isInConflict, "seed \(seed)")
            }
        }
    }

    @Test func deleteVersusConcurrentEditKeepsTheEditAndFlags() {
        for seed in PropertySeeds.seeds(count: 300, salt: 23) {
            var random = SplitMix64(seed: seed)
            let base = Self.note(&random, lines: 2)
            let deleted = base.deleting(by: Fixture.a)
            var edited = base
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                switch Int.random(in: 0..<3, using: &random) {
                case 0: edited = edited.updating(["place": .string("p\(random.next())")], by: Fixture.b)
                case 1: edited = edited.addingTags(["t\(random.next() % 9)"], to: "tags", by: Fixture.b)
                default: edited = edited.updating(["body": .text("b\(random.next())\n")], by: Fixture.b)
                }
            }
            let merged = random.chance(0.5) ? deleted.merged(with: edited) : edited.merged(with: deleted)
            #expect(!merged.isDeleted && merged.values == edited.values, "seed \(seed)")
            #expect(
                merged.conflicts.last
                    == .deleteVersusEdit(
                        deletes: deleted.presence.keys.sorted(),
                        edits: edited.presence.keys.sorted()), "seed \(seed)")
            // A delete that has seen every edit wins.
            let deletedLater = merged.resolvingDeleteConflict(keep: false, by: Fixture.c)
            #expect(deletedLater.isDeleted && deletedLater.merged(with: edited).merged(with: deleted) == deletedLater)
        }
    }

    /// A resolution made on one replica settles on every replica, whatever stale versions
    /// arrive before or after it.
    @Test func resolvingSettlesEverywhere() {
        for seed in PropertySeeds.seeds(count: 300, salt: 24) {
            var random = SplitMix64(seed: seed)
            let base = Self.note(&random, lines: 2)
            let writers = (0..<Int.random(in: 2...5, using: &random)).map { try! ReplicaID("w\($0)") }
            let versions = writers.map { base.updating(["kind": .string("k-\($0.rawValue)")], by: $0) }
            let converged = versions.reduce(base) { $0.merged(with: $1) }
            #expect(converged.isInConflict(field: "kind"), "seed \(seed)")
            guard case .field(_, let candidates)? = converged.conflicts.first else { continue }
            #expect(candidates.count == writers.count, "seed \(seed)")
            let resolver = random.pick(writers)
            let resolved = converged.resolving(field: "kind", with: random.pick(candidates).value, by: resolver)
            #expect(resolved.compare(converged) == .after, "seed \(seed)")
            // Each replica holds its own version plus some others, then gets the resolution and
            // stale messages in random order.
            for (index, own) in versions.enumerated() {
                var messages = versions.filter { _ in random.chance(0.5) } + [resolved, converged]
                messages.shuffle(using: &random)
                let final = messages.reduce(own) { $0.merged(with: $1) }
                #expect(final == resolved, "seed \(seed) replica \(index)")
                #expect(!final.isInConflict && final.value("kind") == resolved.value("kind"), "seed \(seed)")
            }
        }
    }

    /// Compaction with a clock every replica has seen never changes what converged replicas show,
    /// and replicas converge whether or not each compacted.
    @Test func compactionKeepsConvergence() {
        for seed in PropertySeeds.seeds(count: 300, salt: 25) {
            var simulation = HistorySimulation(seed: seed)
            simulation.run()
            let final = simulation.states[0]
            let stable = simulation.states.dropFirst().reduce(final.clock) { $0.intersecting($1.clock) }
            let compacted = final.compacted(stableClock: stable)
            #expect((try? compacted.validateStructure()) != nil, "seed \(seed)")
            if !final.isDeleted {
                #expect(
                    compacted.values == final.values && compacted.conflicts.count == final.conflicts.count,
                    "seed \(seed)")
            }
            #expect(compacted.isDeleted == final.isDeleted, "seed \(seed)")
            // Any mix of compacted and uncompacted copies, and any stale snapshot, converges.
            var random = SplitMix64(seed: seed)
            let copies = (simulation.snapshots + [final, compacted]).shuffled(using: &random)
            let joined = copies.reduce(Record(collection: final.collection, id: final.id)) { $0.merged(with: $1) }
            #expect(joined == compacted, "seed \(seed)")
        }
    }
}
