import ArgumentParser
import Foundation
import SyncServer

extension Admin {
    struct Compact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop metadata every device has seen: text bases and the content of old deletions.",
            discussion: """
                A record is compacted once every active device of every team that reads it has pulled its \
                current version (merge.md, "Metadata bounds"). Devices receive the compacted version like any \
                change. 'sync-server serve' also runs this daily. A device that has not synced for long holds \
                compaction back; revoke lost devices ('admin devices' shows when each was last seen).
                Example: sync-server admin compact --dry-run
                """)

        @ParentCommand var admin: Admin
        @Flag(name: .customLong("dry-run"), help: "Only count what would be compacted.") var dryRun = false
        @Flag(help: "Print the figures as JSON.") var json = false

        func run() async throws {
            let dryRun = self.dryRun
            let outcome = try await admin.withStorage { storage in
                try await Compaction(storage: storage).run(dryRun: dryRun)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(outcome), as: UTF8.self))
                return
            }
            let verb = dryRun ? "would compact" : "compacted"
            let count = dryRun ? outcome.compactable : outcome.compacted
            print(
                "\(outcome.records) records, \(outcome.stable) stable for every reader; \(verb) \(count) "
                    + "(\(outcome.bytesBefore) → \(outcome.bytesAfter) bytes)")
        }
    }
}
