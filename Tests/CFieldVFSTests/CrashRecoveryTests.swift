import CFieldVFS
import CSQLite
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Crash recovery: SIGKILL in the middle of a burst of writes")
struct CrashRecoveryTests {
    /// The `vfs-torture` helper (Tests/vfs-torture), built with the tests.
    private func tortureExecutable() throws -> URL {
        try BuiltProducts.executable("vfs-torture")
    }

    /// Runs the helper until it has acknowledged `minimumCommits` rows, lets it run `extra` seconds more (calling
    /// `meanwhile` during that time), kills it with SIGKILL, and returns the ids it reported committed.
    private func runAndKill(
        _ exe: URL, directory: URL, mode: String, minimumCommits: Int = 20, extra: Double,
        meanwhile: (Date) throws -> Void = { _ in }
    ) throws -> [Int] {
        let helper = try RunningProcess(exe, [directory.path, mode, "30"], stderr: FileHandle.standardError)
        defer { helper.kill() }
        // Wait for a burst to be under way (bounded, in case the machine is slow or the helper fails).
        helper.wait(within: 10) { $0.lineCount >= minimumCommits }
        let deadline = Date().addingTimeInterval(extra)
        try meanwhile(deadline)
        Thread.sleep(forTimeInterval: max(0, deadline.timeIntervalSinceNow))
        helper.kill(SIGKILL)
        #expect(helper.terminatedBySignal, "the helper must still be running when killed")
        // Only complete lines: each was printed after its COMMIT returned.
        let text = helper.output.text
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if !text.hasSuffix("\n") { lines.removeLast() }
        return lines.compactMap { Int($0) }
    }

    @Test("After SIGKILL: integrity_check ok and every acknowledged commit present", arguments: ["delete", "wal"])
    func killMidBurst(mode: String) throws {
        let exe = try tortureExecutable()
        let store = try TestStore()
        var acknowledged: [Int] = []
        for round in 0..<3 {
            let extra = Double.random(in: 0.1...0.6)
            let ids = try runAndKill(exe, directory: store.directory, mode: mode, extra: extra)
            #expect(ids.count >= 20, "round \(round): the helper should commit rows before it is killed")
            acknowledged += ids

            let slot = try store.unlock(passphrase: "torture")
            defer { fieldvfs_slot_release(slot) }
            let c = try store.open(slot: slot)
            #expect(try c.query("PRAGMA integrity_check").map { $0[0] } == ["ok"], "round \(round)")
            let present = Set(try c.query("SELECT id FROM t").compactMap { $0[0].flatMap { Int($0) } })
            let missing = acknowledged.filter { !present.contains($0) }
            #expect(missing.isEmpty, "round \(round): \(missing.count) acknowledged rows missing")
            #expect(try c.scalar("PRAGMA journal_mode") == mode, "the store stays in its journal mode")
        }
        let leaked = leaks(in: try store.snapshot(), of: [sqliteMagic])
        #expect(leaked.isEmpty)
    }

    @Test("WAL: this process reads while another process writes, each decrypting the other's frames")
    func crossProcessReader() throws {
        let exe = try tortureExecutable()
        let store = try TestStore()
        var reads = 0
        let ids = try runAndKill(exe, directory: store.directory, mode: "wal", extra: 1.0) { deadline in
            // Wait for the helper to create the key file and its table.
            var slot: String?
            while slot == nil && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.05)
                slot = store.tryUnlock(passphrase: "torture").slot
            }
            let key = try #require(slot, "the helper never created its key file")
            defer { fieldvfs_slot_release(key) }
            var reader: Connection?
            var last = 0
            while Date() < deadline {
                if reader == nil {
                    // The database and its table may not exist yet.
                    Thread.sleep(forTimeInterval: 0.02)
                    let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI
                    guard let c = try? Connection(uri: store.uri(slot: key), flags: flags),
                        (try? c.prepareForVFS()) != nil,
                        (try? c.scalar("SELECT count(*) FROM t")) != nil
                    else { continue }
                    reader = c
                }
                let row = try #require(try reader?.query("SELECT count(*), sum(length(body)) FROM t").first)
                let count = Int(row[0] ?? "") ?? -1
                #expect(count >= last, "a reader never sees the table shrink")
                last = count
                reads += 1
            }
        }
        #expect(reads > 5)
        #expect(ids.count >= 20)
    }
}
