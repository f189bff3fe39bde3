import Foundation
import SyncProtocolTesting
import Testing

@testable import SyncProtocol

/// The record wire form has two writers (the direct one of ``WireCoding`` and `Codable` for stores) and two
/// ways in (the wire reader, and `Codable` through ``JSONCapture``): these properties keep them identical.
@Suite("Record wire form: one format, every path")
struct RecordWireFormatTests {
    private static func foundationBytes<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func randomHistoriesEncodeAndDecodeTheSameOnEveryPath() throws {
        var checked = 0
        for seed in PropertySeeds.seeds(count: 60, salt: 40) {
            var simulation = HistorySimulation(seed: seed)
            simulation.run()
            for record in simulation.snapshots.prefix(40) + simulation.states {
                let direct = try WireCoding.encodeString(record)
                #expect(direct == (try Self.foundationBytes(record)), "seed \(seed)")
                #expect(try WireCoding.decode(Record.self, from: direct) == record, "seed \(seed)")
                #expect(try CanonicalJSON.decode(Record.self, from: Data(direct.utf8)) == record, "seed \(seed)")
                checked += 1
            }
        }
        #expect(checked > 500)
    }

    @Test func stringsAreEscapedAsFoundationDoes() throws {
        var random = SplitMix64(seed: 7)
        let alphabet: [Character] = [
            "a", "\"", "\\", "/", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}",
            "\u{7F}", "Ø", "✓", "\u{2028}", "😀", "é",
        ]
        for _ in 0..<300 {
            let text = String((0..<Int.random(in: 0...12, using: &random)).map { _ in random.pick(alphabet) })
            var writer = JSONWriter()
            writer.string(text)
            let foundation = try Self.foundationBytes([text]).dropFirst().dropLast()
            #expect(String(decoding: writer.bytes, as: UTF8.self) == foundation)
            let values: [FieldValue] = [.text(text), .string(text), .reference(text)]
            for value in values {
                let json = try WireCoding.encodeString(value)
                #expect(try CanonicalJSON.decode(FieldValue.self, from: Data(json.utf8)) == value)
            }
        }
    }

    @Test func messagesWrittenDirectlyMatchFoundation() throws {
        let notes = (0..<5).map { Fixture.note(id: "n\($0)") }
        let edited = notes[1].updating(["body": .text("Met.\n"), "kind": .string("sms")], by: Fixture.b)
        let purged = notes[2].purging(by: Fixture.server)
        let page = PullPage(records: [notes[0], edited, purged], nextCursor: "9", more: true)
        #expect(try WireCoding.encodeString(page) == (try Self.foundationBytes(page)))
        let batch = PushBatch(replica: Fixture.a, batchID: "b-1", records: notes, cursor: "4", final: true)
        #expect(try WireCoding.encodeString(batch) == (try Self.foundationBytes(batch)))
        #expect(try WireCoding.decode(PullPage.self, from: WireCoding.encode(page)) == page)
        #expect(try WireCoding.decode(PushBatch.self, from: WireCoding.encode(batch)) == batch)
    }

    @Test func presenceIsLeftOutOnlyWhenImplied() throws {
        let note = Fixture.note()
        #expect(!(try WireCoding.encodeString(note)).contains("\"p\""))
        // Edited on b after a: a's write is no longer the latest operation, so presence is written.
        let later = note.updating(["kind": .string("sms")], by: Fixture.b)
        #expect(try WireCoding.encodeString(later).contains(#""p":{"1:1":true}"#))
        // Concurrent edits merged: the latest dot of each replica is live, presence is implied again.
        let merged = later.merged(with: note.updating(["place": .string("school")], by: Fixture.a))
        #expect(!(try WireCoding.encodeString(merged)).contains("\"p\""))
        #expect(try WireCoding.decode(Record.self, from: WireCoding.encode(merged)) == merged)
    }

    @Test func anAppendingEditSendsAOneNumberBase() throws {
        let note = Fixture.note()
        let body = note.value("body")!.textValue!
        let edited = note.updating(["body": .text(body + "Called.\n")], by: Fixture.a)
        let json = try WireCoding.encodeString(edited)
        #expect(json.contains(#""b":{"body":[\#(body.unicodeScalars.count)]}"#), "\(json)")
    }

    @Test func recordsInsideCodableMessagesReportWirePaths() throws {
        // PushResult goes through JSONDecoder; its records through JSONCapture and the same reader.
        let note = try WireCoding.encodeString(Fixture.note())
        let bad = note.replacingOccurrences(of: #""i":"n1""#, with: #""colour":"red","i":"n1""#)
        let body =
            #"{"batchId":"b-1","protocolVersion":1,"results":[{"c":"notes","id":"n1","record":"#
            + bad + #","status":"merged"}],"sequence":3}"#
        let error = try #require(throws: WireDecodingError.self) { try WireCoding.decode(PushResult.self, from: body) }
        #expect(error.kind == .unknownField && error.path == "results[0].record.colour", "\(error)")
        let wrongType = note.replacingOccurrences(of: #""kind":"walk""#, with: #""kind":[1]"#)
        let typed = try #require(throws: WireDecodingError.self) { try WireCoding.decode(Record.self, from: wrongType) }
        #expect(typed.kind == .wrongType && typed.path == "w[0].s.kind", "\(typed)")
    }

    @Test func repeatedKeysAreRefusedInRecordsAndWriteGroups() throws {
        let note = try WireCoding.encodeString(Fixture.note())
        // The record's id given twice, the second time after other keys.
        let twiceID = note.replacingOccurrences(of: #""i":"n1""#, with: #""i":"n1","i":"n2""#)
        let record = try #require(throws: WireDecodingError.self) { try WireCoding.decode(Record.self, from: twiceID) }
        #expect(record.kind == .malformedJSON && record.path == "i", "\(record)")
        // A write group's dot given twice.
        let twiceDot = note.replacingOccurrences(of: #""d":"0:1""#, with: #""d":"0:1","d":"0:1""#)
        #expect(twiceDot != note)
        let group = try #require(throws: WireDecodingError.self) { try WireCoding.decode(Record.self, from: twiceDot) }
        #expect(group.kind == .malformedJSON && group.path == "w[0].d", "\(group)")
        // A clock entry, a field of a write group and a value's type key given twice.
        for (from, to, path) in [
            (#""v":{"#, #""v":{"a":1,"#, "v.a"),
            (#""kind":"walk""#, #""kind":"walk","kind":"talk""#, "w[0].s.kind"),
            (#"{"time":"#, #"{"time":1,"time":"#, "w[0].s.occurredAt.time"),
        ] {
            let twice = note.replacingOccurrences(of: from, with: to)
            #expect(twice != note, "\(from)")
            let error = try #require(throws: WireDecodingError.self) { try WireCoding.decode(Record.self, from: twice) }
            #expect(error.kind == .malformedJSON && error.path == path, "\(error)")
        }
        // Messages read by Foundation's decoder too (it would keep one of the two silently).
        let hello = #"{"protocolVersions":[1],"client":"a","client":"b"}"#
        let helloError = try #require(throws: WireDecodingError.self) {
            try WireCoding.decode(HelloRequest.self, from: hello)
        }
        #expect(helloError.kind == .malformedJSON && helloError.path == "client", "\(helloError)")
    }

    @Test func integersAndTimesStayWithinTwoToTheFiftyThree() throws {
        let note = try WireCoding.encodeString(Fixture.note())
        for value in ["9007199254740992", "-9007199254740992", "9223372036854775807", "-9223372036854775808"] {
            // A time and an integer value beyond ±(2^53 - 1) are refused; Int64.min must not trap.
            let time = note.replacing(#/"time":[0-9]+/#, with: #""time":"# + value)
            #expect(time != note)
            let timeError = try #require(throws: WireDecodingError.self) {
                try WireCoding.decode(Record.self, from: time)
            }
            #expect(timeError.kind == .invalidValue && timeError.path.hasSuffix(".time"), "\(timeError)")
            let integer = note.replacingOccurrences(of: #""kind":"walk""#, with: #""kind":"# + value)
            let integerError = try #require(throws: WireDecodingError.self) {
                try WireCoding.decode(Record.self, from: integer)
            }
            #expect(integerError.kind == .invalidValue && integerError.path == "w[0].s.kind", "\(integerError)")
        }
        let largest = note.replacing(#/"time":[0-9]+/#, with: #""time":9007199254740991"#)
        _ = try WireCoding.decode(Record.self, from: largest)
    }

    @Test func brokenBodiesAreRefusedNeverTrapped() throws {
        // The reader works on raw bytes without bounds checks in release builds: every truncation and many
        // random byte changes of a real body must end in a WireDecodingError (or a valid decode), never a trap.
        let edited = Fixture.note()
            .updating(["body": .text("Met.\nØst ✓ \"quoted\"\n"), "kind": .string("sms")], by: Fixture.b)
        let body = Array(try WireCoding.encode(PushBatch(replica: Fixture.a, batchID: "b", records: [edited])))
        for length in 0..<body.count {
            #expect(throws: WireDecodingError.self) {
                try WireCoding.decode(PushBatch.self, from: Data(body[..<length]))
            }
        }
        var random = SplitMix64(seed: 11)
        let replacements = Array("{}[]\":,\\u0-9en ".utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xFF]
        for _ in 0..<2_000 {
            var mutated = body
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                mutated[Int.random(in: 0..<mutated.count, using: &random)] = random.pick(replacements)
            }
            do {
                _ = try WireCoding.decode(PushBatch.self, from: Data(mutated))
            } catch {
                #expect(!error.reason.isEmpty)
            }
        }
    }
}
