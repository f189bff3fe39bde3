import Foundation
import SyncProtocolTesting
import Testing

@testable import SyncProtocol

@Suite("Records: editing and merging")
struct RecordTests {
    let a = Fixture.a
    let b = Fixture.b
    let c = Fixture.c

    @Test func createValidatesAgainstTheSchema() throws {
        let note = Fixture.note()
        #expect(note.clock == VersionVector([a: 1]))
        #expect(note.value("kind") == .string("walk"))
        #expect(note.value("tags") == .tags(["housing"]))
        #expect(note.value("place") == nil)
        #expect(!note.isDeleted && !note.isInConflict && !note.isPurged)

        var values = Fixture.noteValues
        values["mood"] = .string("fine")
        #expect(throws: ModelError.unknownField(collection: "notes", field: "mood")) {
            try Record.create(collection: "notes", id: "n", values: values, by: a, schema: Schemas.notes)
        }
        values = Fixture.noteValues
        values["kind"] = .integer(3)
        #expect(throws: ModelError.wrongType(collection: "notes", field: "kind", expected: .string, found: .integer)) {
            try Record.create(collection: "notes", id: "n", values: values, by: a, schema: Schemas.notes)
        }
        values = Fixture.noteValues
        values["subject"] = .null
        #expect(throws: ModelError.missingRequiredField(collection: "notes", field: "subject")) {
            try Record.create(collection: "notes", id: "n", values: values, by: a, schema: Schemas.notes)
        }
        #expect(throws: ModelError.invalidRecordID("bad id")) {
            try Record.create(
                collection: "notes", id: "bad id", values: Fixture.noteValues, by: a, schema: Schemas.notes)
        }
        #expect(throws: ModelError.collectionMismatch(expected: "notes", found: "subjects")) {
            try Record.create(collection: "subjects", id: "n", values: [:], by: a, schema: Schemas.notes)
        }
        #expect(throws: ModelError.self) {
            try note.updating(["followUp": .string("tomorrow")], by: a, schema: Schemas.notes)
        }
        let subject = try Record.create(
            collection: "subjects", id: "s1",
            values: ["reference": .string("Y-417"), "consentRecorded": .bool(true), "goals": .text("School.\n")],
            by: a, schema: Schemas.subjects
        )
        try Schemas.subjects.validate(subject)
        #expect(throws: ModelError.self) { try Schemas.notes.validate(subject) }
    }

    @Test func unchangedValuesMakeNoWrite() {
        let note = Fixture.note()
        #expect(note.updating(["kind": .string("walk"), "tags": .tags(["housing"])], by: b) == note)
        let edited = note.updating(["kind": .string("phone")], by: b)
        #expect(edited.clock == VersionVector([a: 1, b: 1]))
        #expect(edited.writes(of: "kind") == [FieldWrite(dot: Dot(replica: b, counter: 1), value: .string("phone"))])
    }

    @Test func fieldWrittenOnOneSideTakesThatSide() {
        let note = Fixture.note()
        let left = note.updating(["kind": .string("phone")], by: a)
        let right = note.updating(["place": .string("library")], by: b)
        let merged = left.merged(with: right)
        #expect(merged.value("kind") == .string("phone"))
        #expect(merged.value("place") == .string("library"))
        #expect(!merged.isInConflict)
        #expect(merged == right.merged(with: left))
        #expect(left.compare(right) == .concurrent && merged.compare(left) == .after)
    }

    @Test func concurrentStringWritesAreAConflictKeepingBoth() {
        let note = Fixture.note()
        let left = note.updating(["kind": .string("phone")], by: a)
        let right = note.updating(["kind": .string("sms")], by: b)
        let merged = left.merged(with: right)
        #expect(merged.isInConflict && merged.isInConflict(field: "kind"))
        #expect(
            merged.conflicts == [
                .field(
                    name: "kind",
                    candidates: [
                        FieldWrite(dot: Dot(replica: a, counter: 2), value: .string("phone")),
                        FieldWrite(dot: Dot(replica: b, counter: 1), value: .string("sms")),
                    ])
            ])
        // The placeholder is the candidate with the highest counter: a:2.
        #expect(merged.value("kind") == .string("phone"))
        // Resolving on one replica settles everywhere.
        let resolved = merged.resolving(field: "kind", with: .string("sms"), by: c)
        #expect(!resolved.isInConflict && resolved.value("kind") == .string("sms"))
        #expect(left.merged(with: resolved) == resolved && resolved.merged(with: right) == resolved)
    }

    @Test func sameValueWrittenConcurrentlyIsNoConflict() {
        let note = Fixture.note()
        let merged = note.updating(["kind": .string("sms")], by: a).merged(
            with: note.updating(["kind": .string("sms")], by: b))
        #expect(!merged.isInConflict && merged.value("kind") == .string("sms"))
        #expect(merged.writes(of: "kind").count == 2)
    }

    @Test func concurrentTextEditsMergeThreeWay() {
        let note = Fixture.note()
        let left = note.updating(
            ["body": .text("Met at the bus station.\nWalked past the school.\nNext: call on Friday.\n")], by: a)
        let right = note.updating(
            ["body": .text("Met at the station.\nWalked past the school.\nNext: call on Monday.\n")], by: b)
        let merged = left.merged(with: right)
        #expect(!merged.isInConflict)
        #expect(
            merged.value("body") == .text("Met at the bus station.\nWalked past the school.\nNext: call on Monday.\n"))
        // An edit on top of the merged text covers both writes and keeps the merged text as its base.
        let next = merged.updating(["body": .text("Merged and edited.\n")], by: c)
        #expect(
            next.writes(of: "body").count == 1 && next.writes(of: "body")[0].base == merged.value("body")?.textValue)
    }

    @Test func overlappingTextEditsKeepBothAndFlag() {
        let note = Fixture.note()
        let left = note.updating(
            ["body": .text("Met at the bus station.\nWalked past the school.\nNext: call on Friday.\n")], by: a)
        let right = note.updating(
            ["body": .text("Met at the train station.\nWalked past the school.\nNext: call on Friday.\n")], by: b)
        let merged = left.merged(with: right)
        #expect(merged.isInConflict(field: "body"))
        #expect(merged.conflicts.first?.fieldName == "body")
        if case .field(_, let candidates)? = merged.conflicts.first {
            #expect(
                Set(candidates.compactMap(\.value.textValue))
                    == Set([left, right].compactMap { $0.value("body")?.textValue }))
        }
        // Resolving takes no base (there is no single text it replaced).
        let resolved = merged.resolving(field: "body", with: .text("Met at the station.\n"), by: a)
        #expect(!resolved.isInConflict && resolved.writes(of: "body")[0].base == nil)
    }

    @Test func tagsAreAddWins() {
        let note = Fixture.note()
        let removed = note.removingTags(["housing"], from: "tags", by: a)
        let readded = note.addingTags(["housing", "placement"], to: "tags", by: b)
        #expect(removed.value("tags") == nil)
        let merged = removed.merged(with: readded)
        // b's explicit add of "housing" is concurrent with a's remove: add wins.
        #expect(merged.value("tags") == .tags(["housing", "placement"]))
        // A remove that has seen the add wins.
        let later = merged.removingTags(["housing"], from: "tags", by: c)
        #expect(later.merged(with: removed).merged(with: readded).value("tags") == .tags(["placement"]))
        #expect(!merged.isInConflict)
        // Setting the whole set only adds what is new: a remove that saw "housing" removes it.
        let setWhole = note.updating(["tags": .tags(["housing", "placement"])], by: b)
        #expect(removed.merged(with: setWhole).value("tags") == .tags(["placement"]))
    }

    @Test func deleteVersusConcurrentEditKeepsTheEdit() {
        let note = Fixture.note()
        let deleted = note.deleting(by: a)
        let edited = note.updating(["place": .string("home visit")], by: b)
        #expect(deleted.isDeleted)
        let merged = deleted.merged(with: edited)
        #expect(!merged.isDeleted && merged.value("place") == .string("home visit"))
        #expect(merged.value("body") == note.value("body"))
        #expect(
            merged.conflicts == [
                .deleteVersusEdit(deletes: [Dot(replica: a, counter: 2)], edits: [Dot(replica: b, counter: 1)])
            ])
        let kept = merged.resolvingDeleteConflict(keep: true, by: c)
        #expect(!kept.isDeleted && !kept.isInConflict)
        let gone = merged.resolvingDeleteConflict(keep: false, by: c)
        #expect(gone.isDeleted && !gone.isInConflict)
        #expect(gone.merged(with: edited).isDeleted && deleted.merged(with: gone) == gone)
    }

    @Test func deleteAfterEveryEditWins() {
        let note = Fixture.note()
        let edited = note.updating(["place": .string("school")], by: b)
        let deleted = edited.deleting(by: a)
        #expect(deleted.merged(with: edited).isDeleted && edited.merged(with: deleted) == deleted)
        let restored = deleted.restoring(by: b)
        #expect(!restored.isDeleted && restored.value("place") == .string("school"))
    }

    @Test func purgeWinsOverEverythingAndDropsContent() throws {
        let note = Fixture.note()
        let edited = note.updating(["body": .text("Sensitive detail.\n")], by: b)
        let purged = note.purging(by: a)
        #expect(purged.isPurged && purged.isDeleted && purged.values.isEmpty && purged.registers.isEmpty)
        let merged = edited.merged(with: purged)
        #expect(merged.isPurged && merged.values.isEmpty && merged.tagSets.isEmpty && merged.presence.isEmpty)
        #expect(merged.updating(["kind": .string("phone")], by: b) == merged)
        #expect(merged.deleting(by: b) == merged)
        let json = Fixture.json(merged)
        #expect(!json.contains("Sensitive") && !json.contains("walk"))
        // Stale content arriving later cannot resurrect it.
        #expect(merged.merged(with: note).merged(with: edited) == merged)
        let decoded = try CanonicalJSON.decode(Record.self, from: Data(json.utf8))
        #expect(decoded == merged)
    }

    @Test func mergeIdentityAndMismatch() throws {
        let note = Fixture.note()
        let empty = Record(collection: "notes", id: "n1")
        #expect(empty.merged(with: note) == note && note.merged(with: empty) == note && empty.isEmpty)
        #expect(throws: ModelError.recordMismatch(expected: "n1", found: "n2")) {
            try note.checkedMerge(with: Fixture.note(id: "n2"))
        }
        #expect(throws: ModelError.collectionMismatch(expected: "notes", found: "subjects")) {
            try note.checkedMerge(with: Record(collection: "subjects", id: "n1"))
        }
    }

    @Test func compactionDropsStableBasesAndTombstoneContent() {
        let note = Fixture.note()
        let edited = note.updating(["body": .text("Short.\n")], by: b)
        #expect(edited.writes(of: "body")[0].base != nil)
        #expect(edited.compacted(stableClock: VersionVector([a: 1])) == edited)
        let compacted = edited.compacted(stableClock: edited.clock)
        #expect(compacted.writes(of: "body")[0].base == nil && compacted.value("body") == edited.value("body"))
        // Replicas converge whether or not they compacted.
        #expect(compacted.merged(with: edited) == compacted && edited.merged(with: compacted) == compacted)

        let deleted = edited.deleting(by: a)
        let tombstone = deleted.compacted(stableClock: deleted.clock)
        // Only what decides its readers stays: the note's subject (merge.md, compaction rule 2).
        #expect(Set(tombstone.registers.keys) == ["subject"] && tombstone.tagSets.isEmpty && tombstone.isDeleted)
        #expect(tombstone.value("subject") == note.value("subject"))
        #expect(tombstone.merged(with: note).merged(with: edited) == tombstone)
        // Not yet stable everywhere: nothing is dropped.
        #expect(deleted.compacted(stableClock: edited.clock).values == deleted.values)
        // A delete in conflict keeps its content.
        let conflicted = deleted.merged(with: edited.updating(["kind": .string("sms")], by: c))
        #expect(conflicted.compacted(stableClock: conflicted.clock).values == conflicted.values)
        #expect(!conflicted.compacted(stableClock: conflicted.clock).values.isEmpty)
    }

    @Test func aCompactedFoldedSubjectKeepsWhereItWent() throws {
        let subject = try Record.create(
            collection: "subjects", id: "s-other", values: ["reference": .string("ung-0142"), "goals": .text("x\n")],
            by: a, schema: Schemas.subjects)
        let folded = subject.updating(["mergedInto": .reference("s-keep")], by: b).deleting(by: b)
        let tombstone = folded.compacted(stableClock: folded.clock)
        #expect(tombstone.isDeleted && tombstone.value("goals") == nil && tombstone.value("reference") == nil)
        #expect(tombstone.value("mergedInto") == .reference("s-keep"))
        #expect(tombstone.merged(with: folded) == tombstone && folded.merged(with: tombstone) == tombstone)
    }

    @Test func codableRoundTripIsCanonical() throws {
        let note = Fixture.note()
        let merged = note.updating(["body": .text("x\n"), "kind": .string("sms")], by: b)
            .merged(with: note.updating(["kind": .string("phone")], by: a).deleting(by: a))
        let json = Fixture.json(merged)
        let decoded = try CanonicalJSON.decode(Record.self, from: Data(json.utf8))
        #expect(decoded == merged)
        #expect(Fixture.json(decoded) == json)
        // Presence is written out here: a's latest operation is a delete.
        #expect(json.hasPrefix(#"{"c":"notes","i":"n1","p":{"0:3":false,"1:1":true},"v":{"a":3,"b":1},"w":["#))
        // An edit leaves presence implied; a fresh note is one write group with its tags inside.
        let fresh = Fixture.json(note)
        #expect(fresh.hasPrefix(#"{"c":"notes","i":"n1","v":{"a":1},"w":[{"d":"0:1","s":{"#), "\(fresh)")
    }

    @Test(arguments: [
        // A dot the clock has not seen.
        #"{"c":"notes","i":"n","p":{"0:2":true},"v":{"a":1}}"#,
        // A dot whose index is outside the clock.
        #"{"c":"notes","i":"n","v":{"a":1},"w":[{"d":"1:1","s":{"kind":"x"}}]}"#,
        // Content with explicitly empty presence.
        #"{"c":"notes","i":"n","p":{},"v":{"a":1},"w":[{"d":"0:1","s":{"kind":"x"}}]}"#,
        // Two live writes of one replica in one field.
        #"{"c":"notes","i":"n","v":{"a":2},"w":[{"d":"0:1","s":{"kind":"x"}},{"d":"0:2","s":{"kind":"y"}}]}"#,
        // A purged record with content.
        #"{"c":"notes","i":"n","p":{"0:1":true},"v":{"a":2},"x":"0:2"}"#,
        #"{"c":"notes","i":"n","v":{"a":2},"w":[{"d":"0:1","s":{"kind":"x"}}],"x":"0:2"}"#,
        // A base on a non-text write; a base that is not the shortest canonical patch.
        #"{"c":"notes","i":"n","v":{"a":1},"w":[{"b":{"kind":[0]},"d":"0:1","s":{"kind":"x"}}]}"#,
        #"{"c":"notes","i":"n","v":{"a":1},"w":[{"b":{"body":[1,0]},"d":"0:1","s":{"body":{"text":"ab"}}}]}"#,
        #"{"c":"notes","i":"n","v":{"a":1},"w":[{"b":{"body":[0,0,"a"]},"d":"0:1","s":{"body":{"text":"ab"}}}]}"#,
        // Bad id, bad collection, bad dot, absurd counter, a zero counter, an empty write group.
        #"{"c":"notes","i":"a/b","v":{"a":1}}"#,
        #"{"c":"Notes","i":"n","v":{"a":1}}"#,
        #"{"c":"notes","i":"n","p":{"a:1":true},"v":{"a":1}}"#,
        #"{"c":"notes","i":"n","v":{"a":9007199254740993}}"#,
        #"{"c":"notes","i":"n","v":{"a":1,"b":0}}"#,
        #"{"c":"notes","i":"n","v":{"a":1},"w":[{"d":"0:1"}]}"#,
        // A field value with two type keys; a non-canonical decimal; a wrapped string.
        #"{"c":"notes","i":"n","v":{"a":1},"w":[{"d":"0:1","s":{"kind":{"text":"x","time":1}}}]}"#,
        #"{"c":"notes","i":"n","v":{"a":1},"w":[{"d":"0:1","s":{"kind":{"dec":"01.0"}}}]}"#,
        #"{"c":"notes","i":"n","v":{"a":1},"w":[{"d":"0:1","s":{"kind":{"str":"x"}}}]}"#,
        // Unknown keys: state this version does not understand is not dropped silently.
        #"{"c":"notes","future":1,"i":"n","v":{"a":1}}"#,
        #"{"c":"notes","i":"n","v":{"a":1},"w":[{"d":"0:1","meta":{},"s":{"kind":"x"}}]}"#,
        // Missing clock.
        #"{"c":"notes","i":"n"}"#,
    ])
    func decodingRejectsMalformedRecords(_ json: String) {
        #expect(throws: DecodingError.self) { try CanonicalJSON.decode(Record.self, from: Data(json.utf8)) }
        #expect(throws: WireDecodingError.self) { try WireCoding.decode(Record.self, from: json) }
    }

    @Test func wireDecodingRefusesRepeatedKeys() {
        // JSONDecoder keeps one of two equal keys before a record sees them; the wire reader refuses both.
        for json in [
            #"{"c":"notes","c":"notes","i":"n","v":{"a":1}}"#,
            #"{"c":"notes","i":"n","v":{"a":1,"a":1}}"#,
            #"{"c":"notes","i":"n","v":{"a":1},"w":[{"d":"0:1","s":{"kind":"x","kind":"y"}}]}"#,
        ] {
            #expect(throws: WireDecodingError.self, "\(json)") { try WireCoding.decode(Record.self, from: json) }
        }
    }

    @Test func schemaValidationOfReceivedRecords() throws {
        let json = #"{"c":"notes","i":"n","v":{"a":1},"w":[{"d":"0:1","s":{"kind":1}}]}"#
        let record = try CanonicalJSON.decode(Record.self, from: Data(json.utf8))
        #expect(throws: ModelError.wrongType(collection: "notes", field: "kind", expected: .string, found: .integer)) {
            try Schemas.notes.validate(record)
        }
    }

    @Test func decimalsAndTimestampsAreCanonical() throws {
        #expect(try ExactDecimal("0012.500").canonical == "12.5")
        #expect(try ExactDecimal("-0.000").canonical == "0")
        #expect(throws: ModelError.invalidDecimal("-.5")) { try ExactDecimal("-.5") }
        #expect(throws: ModelError.self) { try ExactDecimal("1e5") }
        #expect(try ExactDecimal(Decimal(string: "3.25")!).canonical == "3.25")
        let time = Timestamp(Date(timeIntervalSince1970: 1.2345))
        #expect(time.millisecondsSince1970 == 1234 && Fixture.json(FieldValue.timestamp(time)) == #"{"time":1234}"#)
    }
}
