import Foundation
import Testing

@testable import SyncProtocol

/// ``Record/continuing(as:insteadOf:server:)``: a store restored from a backup re-makes its own operations the
/// server does not hold as they are under a new replica id, and loses nothing of the server's.
@Suite("Continuing as a new replica after a restore")
struct ContinuationTests {
    let laptop = Fixture.a
    let colleague = Fixture.b
    let fresh = try! ReplicaID("fresh")

    /// The state the server would store after the continued state is pushed; the push rule must accept it.
    func pushed(_ continued: Record, over server: Record) throws -> Record {
        try continued.checkPushClaims(by: fresh, earlier: [laptop], stored: server)
        let stored = server.merged(with: continued)
        #expect(stored == continued, "the continued state already holds everything the server has")
        // Strict decoding checks causal closure: every dot within the clock, one live write per replica and field.
        let decoded = try WireCoding.decode(Record.self, from: try WireCoding.encode(continued))
        #expect(decoded == continued)
        return stored
    }

    /// The story: synced at v1, backed up, edited to v2-first and synced, the backup put back, edited to
    /// v2-second. Before, v2-second reused v2-first's dot and one of them vanished; now both are kept.
    @Test func anEditMadeAfterTheRestoreSurvivesBesideTheLostOne() throws {
        let v1 = Fixture.note().updating(["body": .text("v1\n")], by: laptop)
        let backup = v1
        let server = backup.updating(["body": .text("v2-first\n")], by: laptop)
        let restored = backup.updating(["body": .text("v2-second\n")], by: laptop)
        // The reused dot: the same dot names two different writes.
        #expect(restored.writes(of: "body").map(\.dot) == server.writes(of: "body").map(\.dot))
        #expect(throws: PushClaimError.self) { try restored.checkPushClaims(by: laptop, stored: server) }

        let continued = restored.continuing(as: fresh, insteadOf: [laptop], server: server)
        let stored = try pushed(continued, over: server)
        let bodies = Set(stored.writes(of: "body").map(\.value))
        #expect(bodies == [.text("v2-first\n"), .text("v2-second\n")])
        #expect(stored.isInConflict(field: "body"))
        #expect(stored.writes(of: "body").contains { $0.dot.replica == fresh && $0.value == .text("v2-second\n") })
    }

    /// Edits of different fields on both sides of the restore merge without a conflict; a write that was pending
    /// in the backup and reached the server before the restore is not duplicated.
    @Test func differentFieldsMergeAndAPendingWriteIsNotDuplicated() throws {
        let synced = Fixture.note()
        let backup = synced.updating(["kind": .string("sms")], by: laptop)  // pending when the backup was made
        let server = backup.updating(["body": .text("Lost future.\n")], by: laptop)  // both pushed, then lost
        let restored = backup.updating(["place": .string("library")], by: laptop)

        let continued = restored.continuing(as: fresh, insteadOf: [laptop], server: server)
        let stored = try pushed(continued, over: server)
        #expect(!stored.isInConflict)
        #expect(stored.value("kind") == .string("sms"))
        #expect(stored.writes(of: "kind").count == 1)
        #expect(stored.value("body") == .text("Lost future.\n"))
        #expect(stored.value("place") == .string("library"))
        #expect(stored.writes(of: "place").map(\.dot.replica) == [fresh])
    }

    /// A colleague's write the restored store saw and overwrote stays overwritten; one it never saw stays.
    @Test func colleaguesWritesKeepTheirCausality() throws {
        let shared = Fixture.note().updating(["kind": .string("meeting")], by: colleague)
        let server = shared.updating(["body": .text("Colleague, later.\n")], by: colleague)
        let restored = shared.updating(["kind": .string("walk")], by: laptop)

        let continued = restored.continuing(as: fresh, insteadOf: [laptop], server: server)
        let stored = try pushed(continued, over: server)
        #expect(stored.value("kind") == .string("walk"))
        #expect(!stored.isInConflict(field: "kind"))
        #expect(stored.value("body") == .text("Colleague, later.\n"))
    }

    /// With the clock the server had acknowledged, an own write the restored store overwrites stays overwritten
    /// (no conflict to settle again), while the lost future's write of the same field is still kept beside it.
    @Test func theAcknowledgedClockKeepsOwnOverwritesAsOverwrites() throws {
        let backup = Fixture.note().updating(["kind": .string("sms")], by: laptop)
        let acknowledged = backup.clock
        let quiet = backup  // the server, when nothing happened after the backup
        let restored = backup.updating(["kind": .string("walk")], by: laptop)
        let plain = try pushed(restored.continuing(as: fresh, insteadOf: [laptop], server: quiet), over: quiet)
        let known = try pushed(
            restored.continuing(as: fresh, insteadOf: [laptop], server: quiet, acknowledged: acknowledged), over: quiet)
        #expect(known.value("kind") == .string("walk") && !known.isInConflict)
        #expect(plain.value("kind") == .string("walk") && !plain.isInConflict)

        let busy = backup.updating(["kind": .string("meeting")], by: laptop)  // lost future, same dot as "walk"
        let both = try pushed(
            restored.continuing(as: fresh, insteadOf: [laptop], server: busy, acknowledged: acknowledged), over: busy)
        #expect(Set(both.writes(of: "kind").map(\.value)) == [.string("meeting"), .string("walk")])
    }

    /// Deletes, tags and a record the server never had.
    @Test func deletesTagsAndUnknownRecords() throws {
        let backup = Fixture.note()
        let server = backup.addingTags(["school"], to: "tags", by: laptop)
        let restored = backup.deleting(by: laptop)
        let continued = restored.continuing(as: fresh, insteadOf: [laptop], server: server)
        let stored = try pushed(continued, over: server)
        // The lost tag add and the delete made after the restore are concurrent: a delete-vs-edit conflict.
        #expect(stored.conflicts.contains { if case .deleteVersusEdit = $0 { true } else { false } })
        #expect(stored.value("tags") == .tags(["housing", "school"]))

        let unknown = Fixture.note(id: "n2").updating(["kind": .string("sms")], by: laptop)
        #expect(unknown.continuing(as: fresh, insteadOf: [laptop], server: nil) == unknown)
    }

    /// Random histories: whatever the restored store and the lost future did, the continued state passes the push
    /// rule and is a fixed point of merging with the server; with the acknowledged clock it also keeps every write
    /// either side made after the backup. (Without it, a reused dot one side overwrote entirely goes unnoticed.)
    @Test func randomRestoresLoseNothing() throws {
        let fields: [(String, [FieldValue])] = [
            ("kind", [.string("walk"), .string("sms"), .string("meeting")]),
            ("place", [.string("library"), .string("cafe"), .string("school")]),
            ("body", [.text("one\n"), .text("two\n"), .text("three\n")]),
        ]
        for seed in PropertySeeds.seeds(count: 200, salt: 41) {
            var random = SplitMix64(seed: seed)
            func edit(_ record: Record, by replica: ReplicaID) -> Record {
                let (name, values) = fields[Int(random.next() % UInt64(fields.count))]
                return record.updating([name: values[Int(random.next() % UInt64(values.count))]], by: replica)
            }
            var backup = Fixture.note()
            for _ in 0..<Int(random.next() % 3) { backup = edit(backup, by: laptop) }
            var server = backup
            for _ in 0..<Int(random.next() % 4) {
                server = edit(server, by: random.next() % 2 == 0 ? laptop : colleague)
            }
            var restored = backup
            for _ in 0..<Int(1 + random.next() % 3) { restored = edit(restored, by: laptop) }

            for acknowledged in [nil, backup.clock] {
                let continued = restored.continuing(
                    as: fresh, insteadOf: [laptop], server: server, acknowledged: acknowledged)
                let stored = try pushed(continued, over: server)
                guard acknowledged != nil else { continue }
                for (name, _) in fields {
                    // Every write made after the backup, on either side, and still live there is still a candidate:
                    // the two sides' later writes are concurrent, so neither may overwrite the other.
                    let candidates = Set(stored.writes(of: name).map(\.value))
                    for side in [server, restored] {
                        for write in side.writes(of: name) where !backup.clock.contains(write.dot) {
                            #expect(
                                candidates.contains(write.value),
                                "seed \(seed), acknowledged \(acknowledged != nil): \(name) lost \(write.value)")
                        }
                    }
                }
            }
        }
    }
}
