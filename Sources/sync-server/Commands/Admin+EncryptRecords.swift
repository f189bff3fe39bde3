import ArgumentParser
import Foundation
import SyncServer

extension Admin {
    struct EncryptRecords: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "encrypt-records",
            abstract: "Encrypt every record of a PostgreSQL database under a key file (or under a new one).",
            discussion: """
                PostgreSQL only (an SQLite database is encrypted whole: see 'backup --to-encryption-key-file'). \
                Seals every record body with AES-256-GCM under the key of --to-encryption-key-file (made with \
                'create-key') in one transaction, so servers see every record in the clear or every record \
                sealed. A database in the clear: give no --encryption-key-file. Key rotation: give the current \
                key as --encryption-key-file. Stop the servers first and start them again with the new key file \
                (a server left running with the old key, or none, fails every request that reads a record). \
                Running it again with the same key changes nothing. Example: 'sync-server admin --database \
                postgres://fs@db/fieldsync encrypt-records --to-encryption-key-file /etc/fieldsync/server.key'.
                """)

        @ParentCommand var admin: Admin
        @Option(
            name: .customLong("to-encryption-key-file"),
            help: ArgumentHelp("The key file to encrypt the records under.", valueName: "file"))
        var toEncryptionKeyFile: String

        func run() async throws {
            guard case .postgres = try admin.storage.location() else {
                throw ValidationError(
                    "admin encrypt-records applies to PostgreSQL; to encrypt an SQLite database use "
                        + "'admin backup --to-encryption-key-file' and 'admin restore'")
            }
            let target: RecordSealer
            do {
                target = try DatabaseKey.load(from: toEncryptionKeyFile).recordSealer
            } catch {
                throw ValidationError(error.description)
            }
            let count = try await admin.withStorage { storage -> Int? in
                guard let postgres = storage as? PostgresStorage else { return nil }
                return try await postgres.encryptRecords(to: target)
            }
            guard let count else {
                print("the records are encrypted under key id \(target.keyID) already: nothing to do")
                return
            }
            print(
                "encrypted \(count) records under key id \(target.keyID); "
                    + "start the servers with --encryption-key-file \(toEncryptionKeyFile)")
        }
    }
}
