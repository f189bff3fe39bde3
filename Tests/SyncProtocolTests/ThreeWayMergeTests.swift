import Testing

@testable import SyncProtocol

@Suite("Three-way text merge")
struct ThreeWayMergeTests {
    let base = "one\ntwo\nthree\nfour\nfive\n"

    @Test func nonOverlappingEditsMerge() {
        let ours = "ONE\ntwo\nthree\nfour\nfive\n"
        let theirs = "one\ntwo\nthree\nfour\nFIVE\nsix\n"
        #expect(ThreeWayMerge.merge(base: base, ours: ours, theirs: theirs) == "ONE\ntwo\nthree\nfour\nFIVE\nsix\n")
        #expect(ThreeWayMerge.merge(base: base, ours: theirs, theirs: ours) == "ONE\ntwo\nthree\nfour\nFIVE\nsix\n")
    }

    @Test func overlappingEditsGiveNil() {
        #expect(
            ThreeWayMerge.merge(
                base: base, ours: "one\n2\nthree\nfour\nfive\n", theirs: "one\nTWO\nthree\nfour\nfive\n") == nil)
        // Adjacent lines count as an overlap, as in diff3.
        #expect(
            ThreeWayMerge.merge(base: base, ours: "one\n2\nthree\nfour\nfive\n", theirs: "one\ntwo\n3\nfour\nfive\n")
                == nil)
        // Both append different lines at the end: the order is a person's choice.
        #expect(ThreeWayMerge.merge(base: base, ours: base + "x\n", theirs: base + "y\n") == nil)
    }

    @Test func identicalAndOneSidedEdits() {
        let edited = "one\nTWO\nthree\nfour\nfive\n"
        #expect(ThreeWayMerge.merge(base: base, ours: edited, theirs: edited) == edited)
        #expect(ThreeWayMerge.merge(base: base, ours: base, theirs: edited) == edited)
        #expect(ThreeWayMerge.merge(base: base, ours: edited, theirs: base) == edited)
    }

    @Test func deletionsAndInsertionsMerge() {
        let ours = "one\nthree\nfour\nfive\n"  // deleted "two"
        let theirs = "one\ntwo\nthree\nfour\n4.5\nfive\n"  // inserted after "four"
        #expect(ThreeWayMerge.merge(base: base, ours: ours, theirs: theirs) == "one\nthree\nfour\n4.5\nfive\n")
    }

    @Test func missingFinalNewlineIsKept() {
        let base = "a\nb\nc"
        #expect(ThreeWayMerge.merge(base: base, ours: "A\nb\nc", theirs: "a\nb\nC") == "A\nb\nC")
        #expect(ThreeWayMerge.lines(of: "a\n\nb") == ["a\n", "\n", "b"])
        #expect(ThreeWayMerge.lines(of: "") == [])
    }

    /// Random non-overlapping line changes always merge, and the result holds both changes.
    @Test func randomDisjointEditsMerge() {
        for seed in PropertySeeds.seeds(count: 500, salt: 2) {
            var random = SplitMix64(seed: seed)
            let count = Int.random(in: 4...30, using: &random)
            let lines = (0..<count).map { "line \($0) \(random.next() % 1000)\n" }
            let i = Int.random(in: 0..<count, using: &random)
            var j = Int.random(in: 0..<count, using: &random)
            if abs(i - j) < 2 { j = (i + 2) % count }
            guard abs(i - j) >= 2 else { continue }
            var ours = lines
            ours[i] = "ours \(seed)\n"
            var theirs = lines
            theirs[j] = "theirs \(seed)\n"
            var expected = lines
            expected[i] = ours[i]
            expected[j] = theirs[j]
            let merged = ThreeWayMerge.merge(base: lines.joined(), ours: ours.joined(), theirs: theirs.joined())
            #expect(merged == expected.joined(), "seed \(seed)")
            var clash = lines
            clash[i] = "clash \(seed)\n"
            #expect(
                ThreeWayMerge.merge(base: lines.joined(), ours: ours.joined(), theirs: clash.joined()) == nil,
                "seed \(seed)")
        }
    }

    /// A budget caps the comparison tables a series of merges may build: within it the merge is the
    /// unbudgeted one, beyond it nothing is computed and the budget says so.
    @Test func aBudgetBoundsTheComparisonWork() {
        // 40 base lines, each side rewrites lines 10...29 differently apart from line 20: tables of 20 x 20.
        let lines = (0..<40).map { "line \($0)\n" }
        var ours = lines
        var theirs = lines
        for index in 10..<20 { ours[index] = "ours \(index)\n" }
        for index in 21..<30 { theirs[index] = "theirs \(index)\n" }
        let unbudgeted = ThreeWayMerge.merge(base: lines.joined(), ours: ours.joined(), theirs: theirs.joined())
        #expect(unbudgeted != nil)

        var ample: ThreeWayMerge.Budget? = ThreeWayMerge.Budget(cells: 10_000)
        #expect(
            ThreeWayMerge.merge(base: lines.joined(), ours: ours.joined(), theirs: theirs.joined(), budget: &ample)
                == unbudgeted)
        let spent = 10_000 - ample!.remainingCells
        #expect(spent > 0 && spent <= 2 * 40 * 40)
        #expect(ample!.isExhausted == false)

        var scarce: ThreeWayMerge.Budget? = ThreeWayMerge.Budget(cells: spent - 1)
        #expect(
            ThreeWayMerge.merge(base: lines.joined(), ours: ours.joined(), theirs: theirs.joined(), budget: &scarce)
                == nil)
        #expect(scarce!.isExhausted)
        #expect(scarce!.remainingCells <= spent - 1)
    }

    /// A record's conflict state paid from a budget agrees with the free one, or says it could not tell.
    @Test func conflictCheckWithinABudget() {
        let a = Fixture.a
        let b = Fixture.b
        let note = Fixture.note()
        let clean = note.updating(
            ["body": .text("Met at the bus station.\nWalked past the school.\nNext: call on Friday.\n")], by: a
        ).merged(
            with: note.updating(["body": .text("Met at the station.\nWalked past the school.\nNext: Monday.\n")], by: b)
        )
        let clash = note.updating(["body": .text("A.\n")], by: a).merged(
            with: note.updating(["body": .text("B.\n")], by: b))
        let kinds = note.updating(["kind": .string("sms")], by: a).merged(
            with: note.updating(["kind": .string("meeting")], by: b))
        var ample = ThreeWayMerge.Budget(cells: 1_000)
        #expect(clean.isInConflict(spending: &ample) == false && !clean.isInConflict)
        #expect(clash.isInConflict(spending: &ample) == true && clash.isInConflict)
        #expect(!ample.isExhausted)

        var none = ThreeWayMerge.Budget(cells: 0)
        #expect(clean.isInConflict(spending: &none) == nil)
        #expect(none.isExhausted)
        // What needs no text merge is still told, after the budget ran out.
        #expect(kinds.isInConflict(spending: &none) == true)
        #expect(note.isInConflict(spending: &none) == false)
    }
}
