import Foundation
import SyncProtocol
import Testing

@testable import SyncServer

/// The text merges a push costs the server: they run after the commit, only for the conflict metric, and
/// within one budget per request (issue #11: two long texts per record made one push cost seconds of CPU
/// inside the write transaction).
@Suite("Merge work per push")
struct MergeBudgetTests {
    static let a = try! ReplicaID("a")
    static let b = try! ReplicaID("b")

    /// A note whose body two replicas rewrote concurrently from the same base, every line differently, so
    /// telling whether it merges takes two full `lines` x `lines` comparison tables.
    static func concurrentlyRewritten(id: String, lines: Int) throws -> Record {
        let base = (0..<lines).map { "base line \($0)\n" }.joined()
        let note = try Record.create(
            collection: "notes", id: id,
            values: [
                "subject": .reference("y-1"), "kind": .string("walk"), "body": .text(base),
                "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_795_000_000_000)),
            ],
            by: a,
            schema: Schemas.notes)
        let mine = note.updating(["body": .text((0..<lines).map { "mine \($0)\n" }.joined())], by: a)
        let theirs = note.updating(["body": .text((0..<lines).map { "theirs \($0)\n" }.joined())], by: b)
        return mine.merged(with: theirs)
    }

    @Test func conflictsAreCountedWithinTheBudgetAndTheRestLeftUnchecked() throws {
        let lines = 30
        let records = try (0..<8).map { try Self.concurrentlyRewritten(id: "n\($0)", lines: lines) }
        let allInConflict = records.allSatisfy { $0.isInConflict }
        #expect(allInConflict)
        // Room for three records' two tables each.
        let perRecord = 2 * lines * lines
        let counted = SyncService.countConflicts(in: records, budget: 3 * perRecord)
        #expect(counted.conflicted == 3)
        #expect(counted.unchecked == 5)
        // With enough budget every record is told.
        let all = SyncService.countConflicts(in: records, budget: 8 * perRecord)
        #expect(all.conflicted == 8 && all.unchecked == 0)
    }

    @Test func theDefaultBudgetCoversOrdinaryBatches() throws {
        // A full batch of ordinary notes (a page of text each, edited on two devices) is counted in full.
        let records = try (0..<50).map { try Self.concurrentlyRewritten(id: "n\($0)", lines: 40) }
        let counted = SyncService.countConflicts(in: records)
        #expect(counted.conflicted == 50 && counted.unchecked == 0)
    }
}
