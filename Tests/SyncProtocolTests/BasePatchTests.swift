import Foundation
import SyncProtocolTesting
import Testing

@testable import SyncProtocol

@Suite("Text bases on the wire")
struct BasePatchTests {
    @Test func examples() {
        let patch = BasePatch(text: "Met.\nCall Friday.\n", base: "Met.\n")
        #expect(patch == BasePatch(prefix: 5, suffix: 0, middle: ""))
        #expect(patch.base(of: "Met.\nCall Friday.\n") == "Met.\n")
        // Unicode scalars, not bytes or UTF-16 units: "Ø" is one unit.
        let nordic = BasePatch(text: "Østerbro ✓\n", base: "Østerbro ✗\n")
        #expect(nordic == BasePatch(prefix: 9, suffix: 1, middle: "✗"))
        // A patch that is not the canonical one, or does not fit the text, is refused.
        #expect(BasePatch(prefix: 4, suffix: 0, middle: "\n").base(of: "Met.\nCall Friday.\n") == nil)
        #expect(BasePatch(prefix: 30, suffix: 0, middle: "").base(of: "short") == nil)
        #expect(BasePatch(prefix: -1, suffix: 0, middle: "").base(of: "short") == nil)
    }

    @Test func randomPatchesRoundTrip() {
        for seed in PropertySeeds.seeds(count: 1000, salt: 30) {
            var random = SplitMix64(seed: seed)
            let alphabet = Array("ab\nØ✓é")
            func text() -> String {
                String((0..<Int.random(in: 0...20, using: &random)).map { _ in random.pick(alphabet) })
            }
            let value = text()
            let base = random.chance(0.5) ? text() : String(value.dropFirst(Int.random(in: 0...3, using: &random)))
            let patch = BasePatch(text: value, base: base)
            #expect(patch.base(of: value) == base, "seed \(seed)")
            #expect(patch.prefix + patch.suffix <= value.unicodeScalars.count, "seed \(seed)")
        }
    }

    @Test func editedNoteCarriesOnlyTheChange() throws {
        let body = String(repeating: "Walked past the vocational school; asked about the welding course.\n", count: 15)
        let note = try Record.create(
            collection: "notes", id: "n1",
            values: Fixture.noteValues.merging(["body": .text(body)]) { $1 }, by: Fixture.a, schema: Schemas.notes)
        let edited = note.updating(["body": .text(body + "Called her mother.\n")], by: Fixture.b)
        let created = try CanonicalJSON.encode(note).count
        let sent = try CanonicalJSON.encode(edited).count
        #expect(sent < created + 120, "an edit adds \(sent - created) bytes")
        #expect(try CanonicalJSON.decode(Record.self, from: CanonicalJSON.encode(edited)) == edited)
    }
}
