import ArgumentParser
import Foundation
import SyncServer

extension Admin {
    struct CreateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-key",
            abstract: "Write a new random key for an encrypted database to a new file (mode 0600).",
            discussion: """
                The file holds a random 256-bit key and a random 16-byte database id; it is never replaced. \
                Give it to 'serve' and every 'admin' command with --encryption-key-file (or \
                FIELDSYNC_ENCRYPTION_KEY_FILE). Without it the database and its backups cannot be read: keep a \
                copy somewhere safe, apart from the backups. Nothing about the key is printed. The same kind of \
                file encrypts an SQLite database whole and, in a PostgreSQL database, each record's content \
                (see 'encrypt-records').
                """)

        @Argument(help: ArgumentHelp("The new key file.", valueName: "file")) var file: String

        func run() async throws {
            try DatabaseKey.createFile(at: file)
            print("wrote a new database key to \(file) (mode 0600); keep a copy apart from the backups")
        }
    }

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the SQLite database to a new file: a consistent snapshot, while the server serves.",
            discussion: """
                The copy is one read transaction of the live database (VACUUM INTO), checked and renamed into \
                place; --to must not exist. An encrypted database is copied encrypted under the same key, or \
                under --to-encryption-key-file (to rotate the key). A plain database copied with \
                --to-encryption-key-file becomes an encrypted copy (then 'restore' it to encrypt the server's \
                database). PostgreSQL: use pg_dump (see README). Example: 'sync-server admin --database \
                sqlite:/srv/fs.sqlite --encryption-key-file /etc/fs.key backup --to /backup/fs.sqlite'.
                """)

        @ParentCommand var admin: Admin
        @Option(help: ArgumentHelp("The new backup file.", valueName: "file")) var to: String
        @Option(
            name: .customLong("to-encryption-key-file"),
            help: ArgumentHelp(
                "Encrypt the copy under this key file instead [default: the source's key]",
                valueName: "file"))
        var toEncryptionKeyFile: String?

        func run() async throws {
            guard case .sqlite(let path) = try admin.storage.location() else {
                throw StorageError.unsupported(
                    "admin backup copies SQLite databases; for PostgreSQL use pg_dump -Fc (see README)")
            }
            let key = try admin.storage.encryptionKey()
            let targetKey = try toEncryptionKeyFile.map { file throws(StorageError) in
                try DatabaseKey.load(from: file)
            }
            print("backing up sqlite:\(path) to \(to) ...")
            let summary = try SQLiteStorage.backup(
                databaseAt: path, encryptionKey: key, to: to, destinationKey: targetKey)
            print(summary.line(verb: "backed up"))
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a backup in place of the SQLite database (the server must be stopped).",
            discussion: """
                Refuses while a server has the database open (it holds DATABASE.lock). The backup is checked \
                with the key the server uses (--encryption-key-file), copied next to the database and renamed \
                over it, so a crash leaves either the old database or the restored one. The old database is \
                replaced: back it up first if you may want it. Every team's change sequence continues \
                1000000000 above the highest position the backup or the replaced database issued, so devices \
                that synced after the backup carry on. What was done after the backup is \
                lost to the server (revocations, enrolments, pushes): see 'After a restore' in the README. \
                PostgreSQL: use \
                pg_restore. Example: 'sync-server admin --database sqlite:/srv/fs.sqlite --encryption-key-file \
                /etc/fs.key restore --from /backup/fs.sqlite'.
                """)

        @ParentCommand var admin: Admin
        @Option(help: ArgumentHelp("The backup file to restore.", valueName: "file")) var from: String

        func run() async throws {
            guard case .sqlite(let path) = try admin.storage.location() else {
                throw StorageError.unsupported(
                    "admin restore restores SQLite databases; for PostgreSQL use pg_restore (see README)")
            }
            let key = try admin.storage.encryptionKey()
            print("restoring sqlite:\(path) from \(from) ...")
            let summary = try SQLiteStorage.restore(from: from, encryptionKey: key, toDatabaseAt: path)
            print(summary.line(verb: "restored"))
        }
    }
}

extension SQLiteBackupSummary {
    /// `backed up 12 teams, 48211 records (positions 50117) to F: 31.2 MB, encrypted, in 1.84 s`
    func line(verb: String) -> String {
        let megabytes = String(format: "%.1f", Double(bytes) / 1_000_000)
        let duration = String(format: "%.2f", seconds)
        let gap = positionsSkipped > 0 ? "; change sequences continue \(positionsSkipped) above any issued" : ""
        return "\(verb) \(teams) teams, \(records) records (change positions \(changePositions)) "
            + "to \(path): \(megabytes) MB, \(encrypted ? "encrypted" : "plain"), in \(duration) s\(gap)"
    }
}
