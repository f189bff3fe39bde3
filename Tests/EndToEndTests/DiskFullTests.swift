import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A store on a small tmpfs that fills up: writes fail with "disk full" and lose nothing, reads keep working.
@Suite("disk full", .serialized)
struct DiskFullTests {
    @Test func aFullDiskRefusesChangesPlainlyAndStillReads() throws {
        guard getuid() == 0 else {
            print("disk full: skipped, mounting a small tmpfs needs root (CI runs as root)")
            return
        }
        let home = try TemporaryDirectory("diskfull")
        let mountPoint = home.url.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let runner = CommandRunner()
        func system(_ arguments: [String]) throws -> Int32 {
            try ProcessRunner().run(URL(fileURLWithPath: arguments[0]), Array(arguments.dropFirst()), timeout: 30)
                .status
        }
        try #require(
            try system(["/bin/mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint.path]) == 0,
            "cannot mount a tmpfs here")
        defer { _ = try? system(["/bin/umount", mountPoint.path]) }
        let env = [
            "FIELDCLI_HOME": mountPoint.appendingPathComponent("store").path,
            "FIELDCLI_PASSPHRASE": "a long field passphrase",
        ]
        func fieldcli(_ arguments: String...) throws -> CommandResult {
            try runner.run("fieldcli", arguments, extraEnvironment: env)
        }
        #expect(try fieldcli("init", "--kdf-cost", "12").status == 0)
        #expect(try fieldcli("subject", "add", "ung-1").status == 0)
        #expect(try fieldcli("note", "add", "ung-1", "written", "before", "the", "disk", "filled").status == 0)

        // Fill the file system to the last byte.
        let filler = mountPoint.appendingPathComponent("filler")
        FileManager.default.createFile(atPath: filler.path, contents: nil)
        let handle = try FileHandle(forWritingTo: filler)
        let chunk = Data(count: 64 * 1024)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        var small = Data(count: 1)
        while (try? handle.write(contentsOf: small)) != nil { small = Data(count: 1) }
        try handle.close()

        let refused = try fieldcli("note", "add", "ung-1", "written", "on", "a", "full", "disk")
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains("disk is full") && refused.stderr.contains("nothing was saved"),
            "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1)
        let list = try fieldcli("note", "list")
        #expect(list.status == 0, "reading on a full disk: \(list.stderr)")
        #expect(list.stdout.contains("written before the disk filled"))
        #expect(!list.stdout.contains("full disk"))
        #expect(try fieldcli("search", "filled").status == 0)
        #expect(try fieldcli("verify").status == 0)

        try FileManager.default.removeItem(at: filler)
        #expect(try fieldcli("note", "add", "ung-1", "after", "freeing", "space").status == 0)
        #expect(try fieldcli("verify").status == 0)
    }
}
