// bench-sync: sync throughput through a real `sync-server` process over loopback, on its SQLite default.
//
// Measures, in one run: pushing notes written offline, a cold pull to a new device (notes/s, and the peak
// memory of the pulling device, a process of its own), a sync with nothing to do; and, as baselines, plain
// bulk inserts of the same notes into a plain LocalStore and the same rows written with SQLite's C API alone.
// Prints a table and a JSON line.
//
//   bash scripts/bench-sync.sh [--notes N] [--push-notes N]     (builds sync-server and bench-sync, release)
import FieldsyncTestSupport
import Foundation
import LocalStore
import SyncClient
import SyncProtocol

#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
func option(_ name: String, _ fallback: Int) -> Int {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil } ?? fallback
}
let noteCount = max(1_000, option("--notes", 100_000))
let pushCount = min(noteCount, option("--push-notes", 10_000))

func progress(_ line: String) { FileHandle.standardError.write(Data("[bench-sync] \(line)\n".utf8)) }
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
/// Peak resident memory of this process so far, in MiB: `VmHWM` from /proc/self/status. (Not getrusage's
/// `ru_maxrss`: Linux carries it across fork and exec, so a child would report its parent's peak.)
func peakMemoryMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
    else { return .nan }
    return kilobytes / 1024
}

// The cold pull runs in a child process of its own (this executable again), so its peak memory is that of a
// device doing a cold pull and nothing else: `bench-sync --cold-pull-child URL CODE DIR` prints one JSON line.
let passphrase = Passphrase("bench passphrase")
if arguments.count == 5 && arguments[1] == "--cold-pull-child" {
    let (serverURL, code, directory) = (arguments[2], arguments[3], URL(fileURLWithPath: arguments[4]))
    let store = try LocalStore.create(
        at: directory, passphrase: passphrase, adviser: "mette", deviceName: "phone",
        options: LocalStore.Options(encryption: .encrypted(.testing)))
    let transport = try await connect(store, serverURL: serverURL, code: code)
    let memoryBefore = peakMemoryMiB()
    let clock = ContinuousClock()
    let started = clock.now
    let summary = try await sync(store, transport)
    // Timed until the store is closed, so work the store defers (folding its log into the file) is counted.
    store.close()
    let elapsed = seconds(clock.now - started)
    let memoryAfter = peakMemoryMiB()
    try await transport.shutdown()
    let reopened = try LocalStore.open(at: directory, passphrase: passphrase)
    let notes = try reopened.notes(NoteQuery(limit: nil)).count
    reopened.close()
    let result: [String: Any] = [
        "received": summary.received, "seconds": elapsed, "notes": notes,
        "peak_mib": memoryAfter, "peak_before_mib": memoryBefore,
    ]
    print(String(decoding: try JSONSerialization.data(withJSONObject: result), as: UTF8.self))
    exit(0)
}

let work = FileManager.default.temporaryDirectory.appendingPathComponent("bench-sync-\(UUID().uuidString.prefix(8))")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: work) }
let database = "sqlite:" + work.appendingPathComponent("server.sqlite").path

/// Runs `tool` (built beside this executable) to completion, at most two hours (the cold pull of a large team in
/// a debug build), and returns its standard output.
@discardableResult
func run(_ tool: String, _ args: [String]) throws -> String {
    let result = try ProcessRunner().run(BuiltProducts.besideRunningExecutable(tool), args, timeout: 7_200)
    guard result.status == 0 else { throw BenchError("\(result.command) failed: \(result.stderr)") }
    return result.stdout
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// The server: a real process, so this process's peak memory is the client's alone.
try run("sync-server", ["admin", "--database", database, "create-team", "north"])
try run("sync-server", ["admin", "--database", database, "add-adviser", "--team", "north", "mette"])
let server = try SyncServerLauncher(
    [
        "serve", "--database", database, "--listen", "127.0.0.1:0", "--log-level", "error",
        "--rate-burst", "100000", "--rate-per-second", "100000",
    ], executable: BuiltProducts.besideRunningExecutable("sync-server"))
defer { server.stop() }
let url = server.url
progress("sync-server at \(url)")

func makeDevice(_ name: String, encrypted: Bool = true) throws -> LocalStore {
    try LocalStore.create(
        at: work.appendingPathComponent(name), passphrase: passphrase, adviser: "mette", deviceName: name,
        options: LocalStore.Options(encryption: encrypted ? .encrypted(.testing) : .none))
}

/// A one-time enrolment code for mette, from the server's admin command.
func enrolmentCode() throws -> String {
    try run("sync-server", ["admin", "--database", database, "enrolment-code", "--adviser", "mette"])
        .split(separator: "\n").last.map(String.init) ?? ""
}

/// Enrols `store` with `code` and returns a transport holding the device's token.
func connect(_ store: LocalStore, serverURL: String, code: String) async throws -> HTTPSyncTransport {
    let enrolling = try HTTPSyncTransport(
        configuration: SyncClientConfiguration(baseURL: serverURL), logger: .init(label: "b"))
    let response = try await enrolling.enroll(
        EnrollRequest(code: code, deviceName: store.deviceName, replica: store.replicaID))
    try await enrolling.shutdown()
    return try HTTPSyncTransport(
        configuration: SyncClientConfiguration(baseURL: serverURL, token: response.token), logger: .init(label: "b"))
}

func enrol(_ store: LocalStore) async throws -> HTTPSyncTransport {
    try await connect(store, serverURL: url, code: try enrolmentCode())
}

func sync(_ store: LocalStore, _ transport: HTTPSyncTransport) async throws -> SyncSummary {
    let engine = SyncEngine(
        storage: store, transport: transport,
        configuration: .init(team: "north", replica: store.replicaID, maxBatchRecords: 500, pageLimit: 1_000))
    return try await engine.sync()
}

func notes(_ count: Int, offset: Int) -> [NewNote] {
    let words = ["housing", "school", "placement", "apprenticeship", "mother", "bus", "interview", "mentor"]
    return (0..<count).map { index in
        let n = offset + index
        let body = (0..<150).map { words[($0 * 7 + n) % words.count] }.joined(separator: " ")
        return NewNote(
            subjectReference: "ung-\(n % 20)", kind: .walk, body: "Note \(n): " + body,
            tags: [words[n % words.count]])
    }
}

func bulkInsert(_ store: LocalStore, count: Int) throws -> Double {
    for subject in 0..<20 { try store.addSubject(NewSubject(reference: "ung-\(subject)")) }
    let clock = ContinuousClock()
    let start = clock.now
    var written = 0
    while written < count {
        let batch = min(1_000, count - written)
        try store.addNotes(notes(batch, offset: written))
        written += batch
    }
    return seconds(clock.now - start)
}

// 1. The limit: plain bulk inserts of the same notes into a plain local store.
progress("plain bulk insert of \(noteCount) notes")
let plain = try makeDevice("plain", encrypted: false)
let plainSeconds = try bulkInsert(plain, count: noteCount)
plain.close()
// And the floor under that: the same rows with SQLite's C API alone, into an empty store of the same schema.
progress("raw SQLite insert of the same rows")
try makeDevice("raw", encrypted: false).close()
let raw = try rawSQLiteInsertSeconds(
    source: work.appendingPathComponent("plain/store.db").path,
    target: work.appendingPathComponent("raw/store.db").path)

// 2. Push: a device writes `pushCount` notes offline, then syncs.
progress("writing \(noteCount) notes on the laptop (offline)")
let laptop = try makeDevice("laptop")
let laptopInsertSeconds = try bulkInsert(laptop, count: pushCount)
let laptopTransport = try await enrol(laptop)
progress("pushing \(pushCount) notes")
let firstPush = try await sync(laptop, laptopTransport)
// The rest of the team's notes, so the cold pull and the no-op sync see `noteCount` notes on the server.
var written = pushCount
while written < noteCount {
    let batch = min(10_000, noteCount - written)
    try laptop.addNotes(notes(batch, offset: written))
    written += batch
    _ = try await sync(laptop, laptopTransport)
    progress("server holds \(written) notes")
}

// 3. A sync with nothing to do, with everything stored.
var idle: [Double] = []
for _ in 0..<20 { idle.append(seconds(try await sync(laptop, laptopTransport).duration) * 1000) }
idle.sort()
try await laptopTransport.shutdown()
laptop.close()

// 4. Cold pull to a new device, in a process of its own (see `--cold-pull-child`).
progress("cold pull of \(noteCount + 20) records to a new device")
let phoneCode = try enrolmentCode()
let childOutput = try run(
    "bench-sync", ["--cold-pull-child", url, phoneCode, work.appendingPathComponent("phone").path])
guard
    let childLine = childOutput.split(separator: "\n").last,
    let child = try JSONSerialization.jsonObject(with: Data(childLine.utf8)) as? [String: Any],
    let coldReceived = child["received"] as? Int, let coldSeconds = child["seconds"] as? Double,
    let pulledNotes = child["notes"] as? Int, let memoryAfter = child["peak_mib"] as? Double,
    let memoryBefore = child["peak_before_mib"] as? Double
else { throw BenchError("the cold-pull child printed no result: \(childOutput)") }
guard pulledNotes == noteCount else { throw BenchError("cold pull gave \(pulledNotes) notes, expected \(noteCount)") }

let pushRate = Double(firstPush.sent) / seconds(firstPush.duration)
let coldRate = Double(coldReceived) / coldSeconds
let plainRate = Double(noteCount) / plainSeconds
let rawRate = Double(raw.records) / raw.seconds
let rows: [(String, String, String)] = [
    ("push of \(pushCount) notes written offline", String(format: "%.0f notes/s", pushRate), "–"),
    (
        "  (writing them locally, encrypted)", String(format: "%.0f notes/s", Double(pushCount) / laptopInsertSeconds),
        "–"
    ),
    ("cold pull of \(noteCount) notes", String(format: "%.0f notes/s", coldRate), "≥ 20,000/s"),
    ("  client peak memory", String(format: "%.0f MiB (%.0f before the sync)", memoryAfter, memoryBefore), "≤ 150 MB"),
    (
        "sync with nothing to do (\(noteCount) stored)",
        String(format: "p50 %.1f ms, max %.1f ms", idle[idle.count / 2], idle.last ?? 0), "≤ 30 ms"
    ),
    ("plain bulk insert, same notes", String(format: "%.0f notes/s", plainRate), "–"),
    ("cold pull / plain bulk insert", String(format: "%.2f×", coldRate / plainRate), "–"),
    ("raw SQLite insert, same rows and schema", String(format: "%.0f records/s", rawRate), "–"),
    ("cold pull / raw SQLite insert", String(format: "%.2f×", coldRate / rawRate), "–"),
]
print("bench-sync: sync-server (SQLite) over loopback, \(noteCount) notes of ~1 KB")
for (name, value, target) in rows {
    print(
        name.padding(toLength: 44, withPad: " ", startingAt: 0)
            + value.padding(toLength: 30, withPad: " ", startingAt: 0) + target)
}
let json: [String: Any] = [
    "benchmark": "bench-sync", "notes": noteCount, "push_notes_per_s": pushRate, "cold_pull_notes_per_s": coldRate,
    "client_peak_mib": memoryAfter, "noop_sync_p50_ms": idle[idle.count / 2],
    "plain_bulk_insert_notes_per_s": plainRate,
    "cold_pull_vs_plain_insert": coldRate / plainRate, "raw_sqlite_insert_records_per_s": rawRate,
    "cold_pull_vs_raw_sqlite_insert": coldRate / rawRate,
]
print(String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
