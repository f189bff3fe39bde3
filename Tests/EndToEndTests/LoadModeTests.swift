import Foundation
import Testing

/// The load mode end to end, so it cannot rot between benchmark runs: the real `bench-load` provisions a team
/// with the real `sync-server admin`, starts a real `sync-server serve`, and SyncSimulator's LoadTest enrols
/// three devices that write and sync over HTTP for two seconds.
///
/// bench-load is declared only with `FIELDSYNC_BENCHMARKS=1` (Package.swift), so `swift build --build-tests` does
/// not build it; scripts/test.sh builds it (`FIELDSYNC_BENCHMARKS=1 swift build --product bench-load`) before the
/// tests. Without it the test is skipped, except in CI (`CI` set), where its absence is a failure.
@Suite("Load mode")
struct LoadModeTests {
    static let benchLoadBuilt = FileManager.default.isExecutableFile(atPath: BuiltProducts.url("bench-load").path)
    static let isCI = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false

    @Test(
        "bench-load: three devices sync against a real sync-server (SQLite) without a failed request",
        .enabled(
            if: LoadModeTests.benchLoadBuilt || LoadModeTests.isCI,
            "bench-load is not built: FIELDSYNC_BENCHMARKS=1 swift build --product bench-load (scripts/test.sh does)"))
    func threeDevicesOnSQLite() throws {
        let result = try CommandRunner().run(
            "bench-load", ["--devices", "3", "--duration", "2", "--backends", "sqlite", "--team-size", "3"],
            timeout: 60)
        #expect(result.status == 0, "bench-load failed:\n\(result.stderr)\n\(result.stdout)")

        // The last line of stdout is the JSON summary.
        let line = try #require(result.lines.last(where: { $0.hasPrefix("{") }), "no JSON line:\n\(result.stdout)")
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        let runs = try #require(summary["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect(run["backend"] as? String == "sqlite")
        #expect(run["server_exit_status"] as? Int == 0, "sync-server did not stop cleanly on SIGTERM")
        let report = try #require(run["report"] as? [String: Any])
        #expect(report["devices"] as? Int == 3)
        let syncs = try #require(report["syncs"] as? Int)
        let requests = try #require(report["requests"] as? Int)
        #expect(syncs > 0)
        // Every sync is at least a push or a pull, so requests cannot be fewer than syncs.
        #expect(requests >= syncs)
        #expect(report["failed_requests"] as? Int == 0)
        #expect(report["failed_syncs"] as? Int == 0)
        #expect((report["records_pushed"] as? Int ?? 0) > 0, "the devices' notes never reached the server")
        // Teammates pull each other's notes.
        #expect((report["records_pulled"] as? Int ?? 0) > 0, "no device received a teammate's note")
        #expect(result.stdout.contains("SQLite"), "no table row for SQLite:\n\(result.stdout)")
    }

    @Test(
        "bench-load --mode capacity: a tiny open-loop search on SQLite reports the most devices that passed",
        .enabled(
            if: LoadModeTests.benchLoadBuilt || LoadModeTests.isCI,
            "bench-load is not built: FIELDSYNC_BENCHMARKS=1 swift build --product bench-load (scripts/test.sh does)"))
    func capacitySearchOnSQLite() throws {
        // Two steps of one second (2, then 4 devices, the maximum), a target no loopback request misses: the
        // search must end at the maximum and say so. A note before every sync, so every step pushes.
        let result = try CommandRunner().run(
            "bench-load",
            [
                "--mode", "capacity", "--interval", "1", "--start-devices", "2", "--max-devices", "4",
                "--p99-ms", "20000", "--write-every", "1", "--backends", "sqlite", "--team-size", "2",
            ],
            timeout: 60)
        #expect(result.status == 0, "bench-load failed:\n\(result.stderr)\n\(result.stdout)")

        let line = try #require(result.lines.last(where: { $0.hasPrefix("{") }), "no JSON line:\n\(result.stdout)")
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        #expect(summary["mode"] as? String == "capacity")
        #expect((summary["interval_seconds"] as? NSNumber)?.doubleValue == 1)
        let runs = try #require(summary["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect(run["backend"] as? String == "sqlite")
        #expect(run["highest_devices"] as? Int == 4, "the figure: the most devices of a passing step")
        #expect(Self.flag(run["reached_maximum"]) == true)
        #expect(run["server_exit_status"] as? Int == 0, "sync-server did not stop cleanly on SIGTERM")
        let steps = try #require(run["steps"] as? [[String: Any]])
        #expect(steps.map { $0["devices"] as? Int } == [2, 4], "doubling from --start-devices to --max-devices")
        for step in steps {
            #expect(Self.flag(step["passed"]) == true)
            let report = try #require(step["report"] as? [String: Any])
            #expect((report["syncs"] as? Int ?? 0) >= step["devices"] as? Int ?? 1, "a device syncs once an interval")
            #expect(report["failed_requests"] as? Int == 0)
            #expect(report["failed_syncs"] as? Int == 0)
            #expect((report["records_pushed"] as? Int ?? 0) > 0, "the devices' notes never reached the server")
            #expect(report["sync_latency"] is [String: Any], "whole syncs are timed from when they were due")
        }
        #expect(result.stdout.contains("SQLite"), "no table row for SQLite:\n\(result.stdout)")
    }

    /// A JSON `true`/`false` as JSONSerialization hands it over (a `Bool` or an `NSNumber`).
    static func flag(_ value: Any?) -> Bool? {
        (value as? Bool) ?? (value as? NSNumber)?.boolValue
    }
}
