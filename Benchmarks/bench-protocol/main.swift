// bench-protocol: merge throughput, wire encode/decode throughput and bytes on the wire per note.
// Run in release mode: `swift run -c release bench-protocol [--notes N] [--dump]`.
// Prints a table for people and, on the last line, one JSON object for scripts.
import Foundation
import SyncProtocol
import SyncProtocolTesting

// MARK: Set-up

let arguments = CommandLine.arguments
let noteCount = arguments.firstIndex(of: "--notes").flatMap { Int(arguments[$0 + 1]) } ?? 20_000
let batchSize = 500

let laptop = try ReplicaID("k3v9q2m7x1ab")
let phone = try ReplicaID("p7hx4c2n9wqe")

let phrases = [
    "Met Y at the station and walked past the vocational school.",
    "Agreed to visit the open day on Thursday together.",
    "Y is worried about housing; the lease ends next month.",
    "Called the placement host: Y has shown up every day this week.",
    "Næste skridt: ring til UU-vejlederen om optagelse.",
    "Talked about sleep and the evening job at the bakery.",
    "Mother joined for the last part of the home visit.",
    "Follow-up in fourteen days; Y will text if anything changes.",
]

/// A note body of about `bytes` UTF-8 bytes, made of whole lines chosen by `seed`.
func body(bytes: Int, seed: Int) -> String {
    var random = SplitMix64(seed: UInt64(seed))
    var text = ""
    while text.utf8.count < bytes {
        text += phrases.randomElement(using: &random)! + "\n"
    }
    return text
}

func recordID(_ index: Int) -> String {
    "01JD3X5Q7K" + String(index, radix: 32).uppercased().leftPadded(to: 16)
}

extension String {
    func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}

func makeNote(_ index: Int) throws -> Record {
    try Record.create(
        collection: "notes", id: recordID(index),
        values: [
            "subject": .reference("y-\(index % 400)"),
            "kind": .string("walk"),
            "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_795_000_000_000 + Int64(index) * 60_000)),
            "place": .string("Central station"),
            "body": .text(body(bytes: 1_000, seed: index)),
            "tags": .tags(["housing", "education-ready"]),
            "author": .string("anna.k"),
        ], by: laptop, schema: Schemas.notes)
}

/// The bytes of what people wrote and is still live: every live value (all candidates of a conflict), 8 bytes
/// per timestamp or number. The replaced text kept as a merge base is not content.
func contentBytes(_ record: Record) -> Int {
    func size(_ value: FieldValue) -> Int {
        switch value {
        case .text(let text), .string(let text), .reference(let text): text.utf8.count
        case .tags(let tags): tags.reduce(0) { $0 + $1.utf8.count }
        case .decimal(let decimal): "\(decimal)".utf8.count
        case .integer, .timestamp: 8
        case .bool: 1
        case .null: 0
        }
    }
    return record.fieldNames.reduce(0) { total, name in
        let writes = record.writes(of: name)
        if writes.isEmpty { return total + (record.value(name).map(size) ?? 0) }
        return total + writes.reduce(0) { $0 + size($1.value) }
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func measure(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    return seconds(start.duration(to: clock.now))
}

let notes = try (0..<noteCount).map(makeNote)
if arguments.contains("--dump") {
    // One note's wire form, for looking at where the bytes go.
    print(try WireCoding.encodeString(notes[0]))
    print(try WireCoding.encodeString(notes[0].updating(["place": .string("Job centre")], by: phone)))
}
let dumpSamples = arguments.contains("--dump")

// MARK: Merge throughput

// Non-conflicting: the laptop edits the body (appends a line), the phone concurrently edits other fields.
let followUp = FieldValue.timestamp(Timestamp(millisecondsSince1970: 1_796_000_000_000))
let laptopEdits = notes.map { note in
    note.updating(["body": .text(note.value("body")!.textValue! + "Called: Y will come.\n")], by: laptop)
}
let phoneEdits = notes.map { $0.updating(["place": .string("Job centre"), "followUp": followUp], by: phone) }
var cleanConflicts = 0
let cleanTime = measure {
    for index in notes.indices where laptopEdits[index].merged(with: phoneEdits[index]).isInConflict {
        cleanConflicts += 1
    }
}
// Conflicting: both change the same short field, and both rewrite the first line of the body differently.
func rewritingFirstLine(_ note: Record, with line: String) -> FieldValue {
    let text = note.value("body")!.textValue!
    return .text(line + "\n" + text.drop { $0 != "\n" }.dropFirst())
}
let laptopClash = notes.map { note in
    let body = rewritingFirstLine(note, with: "Met at the bus stop.")
    return note.updating(["kind": .string("phone"), "body": body], by: laptop)
}
let phoneClash = notes.map { note in
    let body = rewritingFirstLine(note, with: "Met at the library.")
    return note.updating(["kind": .string("sms"), "body": body], by: phone)
}
var clashConflicts = 0
let clashTime = measure {
    for index in notes.indices where laptopClash[index].merged(with: phoneClash[index]).isInConflict {
        clashConflicts += 1
    }
}
// Dominating: the server holds the old version, the device sends a newer one (the common case of a push).
let dominateTime = measure {
    for index in notes.indices where notes[index].merged(with: laptopEdits[index]) != laptopEdits[index] {
        fatalError("a dominating version must win the merge")
    }
}
precondition(cleanConflicts == 0, "non-conflicting edits produced \(cleanConflicts) conflicts")
precondition(clashConflicts == noteCount, "conflicting edits produced only \(clashConflicts) conflicts")

// MARK: Encode / decode throughput

func batches(_ records: [Record]) -> [[Record]] {
    stride(from: 0, to: records.count, by: batchSize).map { Array(records[$0..<min($0 + batchSize, records.count)]) }
}

let pushBatches = batches(notes).enumerated().map { batch in
    PushBatch(replica: laptop, batchID: "b-\(batch.offset)", records: batch.element)
}
var pushBodies: [Data] = []
let pushEncodeTime = try measure { pushBodies = try pushBatches.map { try WireCoding.encode($0) } }
let pushBytes = pushBodies.reduce(0) { $0 + $1.count }
let pushDecodeTime = try measure {
    for body in pushBodies { _ = try WireCoding.decode(PushBatch.self, from: body) }
}

let merged = notes.indices.map { laptopEdits[$0].merged(with: phoneEdits[$0]) }
let pages = batches(merged).enumerated().map { page in
    PullPage(records: page.element, nextCursor: "\(page.offset + 1)", more: true)
}
// A cold pull's pages hold new notes: decoding one page of 500 of them is what a new device repeats.
let newNotePages = batches(notes).enumerated().map { page in
    PullPage(records: page.element, nextCursor: "\(page.offset + 1)", more: true)
}
let newNotePageBodies = try newNotePages.map { try WireCoding.encode($0) }
let newNotePageBytes = newNotePageBodies.reduce(0) { $0 + $1.count }
let newNotePageDecodeTime = try measure {
    for body in newNotePageBodies { _ = try WireCoding.decode(PullPage.self, from: body) }
}
var pageBodies: [Data] = []
let pageEncodeTime = try measure { pageBodies = try pages.map { try WireCoding.encode($0) } }
let pageBytes = pageBodies.reduce(0) { $0 + $1.count }
let pageDecodeTime = try measure {
    for body in pageBodies { _ = try WireCoding.decode(PullPage.self, from: body) }
}

// MARK: Bytes on the wire per note

/// Bytes a record adds to a push batch (the batch minus its empty envelope), averaged over `records`.
func wireBytesPerRecord(_ records: [Record]) throws -> Double {
    let envelope = try WireCoding.encode(PushBatch(replica: laptop, batchID: "b-0", records: [])).count
    let full = try WireCoding.encode(PushBatch(replica: laptop, batchID: "b-0", records: records)).count
    return Double(full - envelope - (records.count - 1)) / Double(records.count)  // minus the commas
}

struct SizeRow {
    var name: String
    var content: Double
    var wire: Double
    var overhead: Double { (wire - content) / content }
}

func sizeRow(_ name: String, _ records: [Record]) throws -> SizeRow {
    let sample = Array(records.prefix(1_000))
    let content = Double(sample.reduce(0) { $0 + contentBytes($1) }) / Double(sample.count)
    return SizeRow(name: name, content: content, wire: try wireBytesPerRecord(sample))
}

let conflicted = notes.indices.prefix(1_000).map { laptopClash[$0].merged(with: phoneClash[$0]) }
let sizes = try [
    sizeRow("new note", notes),
    sizeRow("edited once (text base kept)", laptopEdits),
    sizeRow("edited on two devices, merged", merged),
    sizeRow("in conflict", conflicted),
]
if dumpSamples {
    // The other three states' wire forms, for the same look at where the bytes go.
    for record in [laptopEdits[0], merged[0], conflicted[0]] { print(try WireCoding.encodeString(record)) }
}

// MARK: End to end through the engine

// One device pushes every note, a second one pulls them all cold; both through the in-memory server with
// every message encoded and strictly decoded, as over HTTP (minus the network and the stores' disks).
let server = InMemorySyncServer()
await server.registerDevice("laptop", replica: laptop, teams: ["north"])
await server.registerDevice("phone", replica: phone, teams: ["north"])
let environment = SyncEnvironment(sleep: { _ in }, random: { 0.5 }, makeBatchID: { SyncEnvironment.randomBatchID() })
let writer = InMemoryReplicaStorage(replica: laptop)
for note in notes { await writer.save(note) }
let pushEngine = SyncEngine(
    storage: writer, transport: InMemoryTransport(server: server, device: "laptop"),
    configuration: .init(team: "north", replica: laptop, maxBatchRecords: batchSize), environment: environment
)
let reader = InMemoryReplicaStorage(replica: phone)
let pullEngine = SyncEngine(
    storage: reader, transport: InMemoryTransport(server: server, device: "phone"),
    configuration: .init(team: "north", replica: phone, pageLimit: 1_000), environment: environment
)
let clock = ContinuousClock()
let pushStart = clock.now
let pushed = try await pushEngine.sync()
let pushSeconds = seconds(pushStart.duration(to: clock.now))
let pullStart = clock.now
let pulled = try await pullEngine.sync()
let pullSeconds = seconds(pullStart.duration(to: clock.now))
precondition(pushed.sent == noteCount && pulled.received == noteCount, "end-to-end sync lost notes")

// MARK: Report

let megabyte = 1_048_576.0
func rate(_ count: Double, _ time: Double) -> Double { time > 0 ? count / time : .infinity }
func formatted(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }

print("bench-protocol: \(noteCount) notes of ~1 KB, batches and pages of \(batchSize)")
print("")
print("merge throughput                          records/s")
print("  non-conflicting concurrent edits        \(formatted(rate(Double(noteCount), cleanTime)))")
print("  conflicting concurrent edits            \(formatted(rate(Double(noteCount), clashTime)))")
print("  one side dominates (typical push)       \(formatted(rate(Double(noteCount), dominateTime)))")
print("")
print("wire coding                               MB/s      records/s")
let codingRows: [(String, Int, Double)] = [
    ("  push batch encode", pushBytes, pushEncodeTime), ("  push batch decode (strict)", pushBytes, pushDecodeTime),
    ("  pull page encode", pageBytes, pageEncodeTime), ("  pull page decode (strict)", pageBytes, pageDecodeTime),
    ("  pull page of 500 new notes decode", newNotePageBytes, newNotePageDecodeTime),
]
for (name, bytes, time) in codingRows {
    let padded = name.padding(toLength: 42, withPad: " ", startingAt: 0)
    let megabytes = formatted(rate(Double(bytes) / megabyte, time), 1)
    let records = formatted(rate(Double(noteCount), time))
    print(padded + megabytes.padding(toLength: 10, withPad: " ", startingAt: 0) + records)
}
print("")
print("end to end (engine + in-memory server, JSON both ways)   notes/s")
print(
    "  push of all notes, batches of \(batchSize)".padding(toLength: 57, withPad: " ", startingAt: 0)
        + formatted(rate(Double(noteCount), pushSeconds)))
print(
    "  cold pull to a new device, pages of 1000".padding(toLength: 57, withPad: " ", startingAt: 0)
        + formatted(rate(Double(noteCount), pullSeconds)))
print("")
print("bytes on the wire per note (before compression, target overhead <= 25%)")
print("  state                                   content   wire      overhead")
for row in sizes {
    print(
        "  " + row.name.padding(toLength: 40, withPad: " ", startingAt: 0)
            + formatted(row.content).padding(toLength: 10, withPad: " ", startingAt: 0)
            + formatted(row.wire).padding(toLength: 10, withPad: " ", startingAt: 0)
            + formatted(row.overhead * 100, 1) + "%")
}

let json: [String: Any] = [
    "notes": noteCount,
    "mergeNonConflictingPerSecond": rate(Double(noteCount), cleanTime).rounded(),
    "mergeConflictingPerSecond": rate(Double(noteCount), clashTime).rounded(),
    "mergeDominatingPerSecond": rate(Double(noteCount), dominateTime).rounded(),
    "pushEncodeMBps": (rate(Double(pushBytes) / megabyte, pushEncodeTime) * 10).rounded() / 10,
    "pushDecodeMBps": (rate(Double(pushBytes) / megabyte, pushDecodeTime) * 10).rounded() / 10,
    "pullEncodeMBps": (rate(Double(pageBytes) / megabyte, pageEncodeTime) * 10).rounded() / 10,
    "pullDecodeMBps": (rate(Double(pageBytes) / megabyte, pageDecodeTime) * 10).rounded() / 10,
    "pullNewNotePageDecodeRecordsPerSecond": rate(Double(noteCount), newNotePageDecodeTime).rounded(),
    "wireBytesPerNewNote": sizes[0].wire.rounded(),
    "endToEndPushNotesPerSecond": rate(Double(noteCount), pushSeconds).rounded(),
    "endToEndColdPullNotesPerSecond": rate(Double(noteCount), pullSeconds).rounded(),
    "contentBytesPerNote": sizes[0].content.rounded(),
    "overheadNewNote": (sizes[0].overhead * 1000).rounded() / 1000,
    "overheadEditedNote": (sizes[1].overhead * 1000).rounded() / 1000,
    "overheadMergedNote": (sizes[2].overhead * 1000).rounded() / 1000,
    "overheadConflictedNote": (sizes[3].overhead * 1000).rounded() / 1000,
]
let line = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
print(String(decoding: line, as: UTF8.self))
