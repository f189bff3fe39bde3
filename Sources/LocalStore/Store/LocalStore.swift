import CFieldVFS
import Foundation
import GRDB
import Logging
import SyncProtocol
import Synchronization

/// The encrypted on-device store: subjects, notes and the sync outbox, in one SQLite database whose every page,
/// journal record and WAL frame is sealed with AES-256-GCM by the `fieldvfs` VFS.
///
/// Open one `LocalStore` per store directory per process; the store holds an exclusive lock while open.
///
/// ```swift
/// let store = try LocalStore.create(at: dir, passphrase: Passphrase("correct horse"), adviser: "mette")
/// let subject = try store.addSubject(NewSubject(reference: "ung-0142"))
/// let note = try store.addNote(NewNote(subjectReference: "ung-0142", kind: .walk, body: "Walked past the school"))
/// store.close()
/// ```
public final class LocalStore: @unchecked Sendable {
    /// How the database file is protected.
    public enum Encryption: Sendable, Equatable {
        /// AES-256-GCM pages under a random data key wrapped by scrypt(passphrase).
        case encrypted(KDFParameters)
        /// Plain SQLite. Only for benchmarks and differential tests; never for real notes.
        case none
    }

    /// SQLite's journal: write-ahead log (the default) or rollback journal.
    public enum JournalMode: String, Sendable {
        /// Write-ahead log: reads run alongside the writer; a background checkpointer folds the log back into the file.
        case wal
        /// Rollback journal (`DELETE`): one connection, so reads and writes take turns.
        case rollback
    }

    /// Options for creating or opening a store.
    public struct Options: Sendable {
        /// Whether the database is encrypted, and at what scrypt cost.
        public var encryption: Encryption
        /// The journal SQLite keeps.
        public var journalMode: JournalMode

        /// Options for a real store: encrypted with the standard scrypt cost, in WAL mode.
        public init(encryption: Encryption = .encrypted(.standard), journalMode: JournalMode = .wal) {
            self.encryption = encryption
            self.journalMode = journalMode
        }
    }

    /// Where the store's files are.
    public let location: StoreLocation
    /// The replica id this store writes with: created with the store, replaced only by a re-enrolment
    /// (``reenrol(as:enrolment:token:)``).
    public var replicaID: ReplicaID { replicas.withLock { $0.current } }
    /// The replica ids this store wrote with before re-enrolments, oldest first: their operations are this
    /// store's own too.
    public var earlierReplicaIDs: [ReplicaID] { replicas.withLock { $0.earlier } }
    /// Every replica id whose operations this store made: ``replicaID`` and ``earlierReplicaIDs``.
    public var ownReplicaIDs: Set<ReplicaID> { replicas.withLock { Set($0.earlier + [$0.current]) } }
    /// Changed only by a re-enrolment, inside the write transaction that stores it.
    let replicas: Mutex<(current: ReplicaID, earlier: [ReplicaID])>
    /// The adviser who writes on this device.
    public let adviser: String
    /// A readable name for this device.
    public let deviceName: String

    let writer: any DatabaseWriter
    let logger: Logger
    /// Backfills the write-ahead log in the background (WAL mode only).
    private let checkpointer: WALCheckpointer?
    private let lock: FileLock
    private let keySlot: KeySlot?
    /// The key the store was opened with, when a ``StoreKey`` lent it: kept alive while the store is open, and
    /// not wiped by `close()`. Nil when the store unlocked its own key, which `close()` wipes.
    private let lentKey: StoreKey?
    private let closeLock = NSLock()
    private var isClosed = false
    /// The search words of subjects, by id, looked up while projecting notes. Only touched inside write
    /// transactions (which GRDB runs one at a time) and emptied when each begins, so a rolled-back change
    /// never leaks into the next one.
    var subjectWordsCache: [String: String] = [:]

    private init(
        location: StoreLocation, writer: any DatabaseWriter, lock: FileLock, keySlot: KeySlot?,
        lentKey: StoreKey? = nil, logger: Logger
    ) throws {
        self.location = location
        self.lentKey = lentKey
        self.writer = writer
        checkpointer =
            writer is DatabasePool
            ? try WALCheckpointer(
                connection: Self.openCheckpointConnection(location, keySlot: keySlot), logger: logger)
            : nil
        self.lock = lock
        self.keySlot = keySlot
        self.logger = logger
        let meta = try writer.read { db in
            try Dictionary(
                uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT key, value FROM meta").map {
                    (($0["key"] as String), ($0["value"] as String))
                })
        }
        guard let replica = meta[MetaKey.replicaID].flatMap({ try? ReplicaID($0) }) else {
            throw LocalStoreError.damaged("the store has no valid replica id")
        }
        let earlier = (meta[MetaKey.earlierReplicaIDs] ?? "").split(separator: " ").compactMap {
            try? ReplicaID(String($0))
        }
        replicas = Mutex((current: replica, earlier: earlier))
        adviser = meta[MetaKey.adviser] ?? "unknown"
        deviceName = meta[MetaKey.deviceName] ?? "device"
    }

    // MARK: Create, open, close

    /// Creates a new store in `directory` and returns it open.
    ///
    /// The store is built in a hidden sibling directory and renamed into place once complete, so a process killed
    /// at any moment leaves either no store or a whole one; builds abandoned that way are removed by the next
    /// `create`. `directory` must not exist yet or be empty.
    ///
    /// - Throws: `LocalStoreError.storeAlreadyExists` if a store is there already, `.invalidInput` if the
    ///   directory holds other files.
    public static func create(
        at directory: URL, passphrase: Passphrase?, adviser: String, deviceName: String? = nil,
        options: Options = Options(), logger: Logger = Logger(label: "fieldsync.localstore")
    ) throws -> LocalStore {
        let location = StoreLocation(directory: directory)
        if location.exists || FileManager.default.fileExists(atPath: location.keyURL.path) {
            throw LocalStoreError.storeAlreadyExists(location.directory)
        }
        try location.requireEmptyOrMissing()
        let staging = try location.makeStaging()
        let lock = try FileLock(url: staging.lockURL, storeDirectory: staging.directory)
        var slot: KeySlot?
        do {
            if case .encrypted(let kdf) = options.encryption {
                guard let passphrase, !passphrase.isEmpty else {
                    throw LocalStoreError.invalidInput("an empty passphrase is not allowed")
                }
                try KeySlot.registerVFS()
                try KeySlot.createKeyFile(at: staging.keyURL, passphrase: passphrase, kdf: kdf)
                slot = try KeySlot.unlock(keyFile: staging.keyURL, passphrase: passphrase)
            }
            let writer = try openDatabase(staging, keySlot: slot, journalMode: options.journalMode)
            try migrator.migrate(writer)
            try writer.write { db in
                let facts = [
                    MetaKey.replicaID: ReplicaID.random().rawValue,
                    MetaKey.adviser: adviser,
                    MetaKey.deviceName: deviceName ?? ProcessInfo.processInfo.hostName,
                    MetaKey.createdAt: ISO8601DateFormatter().string(from: Date()),
                ]
                for (key, value) in facts {
                    try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
                }
            }
            // Closing folds the log into the file, so the renamed directory holds the whole store.
            if let pool = writer as? DatabasePool {
                try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
                try pool.close()
            } else if let queue = writer as? DatabaseQueue {
                try queue.close()
            }
            // The lock stays held across the rename: it is on the file, which moves with the directory.
            try staging.move(to: location)
            return try open(location, lock: lock, keySlot: slot, lentKey: nil, options: options, logger: logger)
        } catch {
            slot?.release()
            lock.release()
            staging.removeStaging()
            throw mapError(error)
        }
    }

    /// Opens an existing store.
    ///
    /// - Throws: `LocalStoreError.wrongPassphrase` (nothing on disk is touched), `.damaged`, `.storeMissing`,
    ///   `.lockedByAnotherProcess`.
    public static func open(
        at directory: URL, passphrase: Passphrase?, options: Options = Options(),
        logger: Logger = Logger(label: "fieldsync.localstore")
    ) throws -> LocalStore {
        let location = StoreLocation(directory: directory)
        guard location.exists else { throw LocalStoreError.storeMissing(location.directory) }
        let lock = try FileLock(url: location.lockURL, storeDirectory: location.directory)
        var slot: KeySlot?
        do {
            if case .encrypted = options.encryption {
                guard let passphrase else { throw LocalStoreError.wrongPassphrase }
                slot = try unlockSlot(location, passphrase: passphrase)
            }
            return try open(location, lock: lock, keySlot: slot, lentKey: nil, options: options, logger: logger)
        } catch {
            slot?.release()
            lock.release()
            throw mapError(error)
        }
    }

    /// Unwraps the data key of the store in `directory` once, so that it can be opened and closed again
    /// without paying the passphrase's key derivation each time (an editor session, an unlock agent).
    ///
    /// The key stays in this process's memory until the returned value is released or ``StoreKey/wipe()``
    /// is called; no lock is held on the store meanwhile.
    ///
    /// ```swift
    /// let key = try LocalStore.unlock(at: dir, passphrase: passphrase)
    /// let draft = try LocalStore.open(at: dir, key: key).withClosing { try $0.note(id: "3f2a").body }
    /// ```
    ///
    /// - Throws: `LocalStoreError.wrongPassphrase` (nothing on disk is touched), `.damaged`, `.storeMissing`.
    public static func unlock(at directory: URL, passphrase: Passphrase) throws -> StoreKey {
        let location = StoreLocation(directory: directory)
        guard location.exists else { throw LocalStoreError.storeMissing(location.directory) }
        do {
            return StoreKey(slot: try unlockSlot(location, passphrase: passphrase), directory: location.directory)
        } catch {
            throw mapError(error)
        }
    }

    /// Opens an existing encrypted store with a key unwrapped earlier by ``unlock(at:passphrase:)``.
    /// Closing the store leaves the key in place for the next open.
    ///
    /// - Throws: `LocalStoreError.damaged` when the key is not this store's, `.storeMissing`,
    ///   `.lockedByAnotherProcess`.
    public static func open(
        at directory: URL, key: StoreKey, journalMode: JournalMode = .wal,
        logger: Logger = Logger(label: "fieldsync.localstore")
    ) throws -> LocalStore {
        let location = StoreLocation(directory: directory)
        guard location.exists else { throw LocalStoreError.storeMissing(location.directory) }
        let lock = try FileLock(url: location.lockURL, storeDirectory: location.directory)
        do {
            let options = Options(encryption: .encrypted(.standard), journalMode: journalMode)
            return try open(location, lock: lock, keySlot: key.slot, lentKey: key, options: options, logger: logger)
        } catch {
            lock.release()
            throw mapError(error)
        }
    }

    private static func unlockSlot(_ location: StoreLocation, passphrase: Passphrase) throws -> KeySlot {
        guard FileManager.default.fileExists(atPath: location.keyURL.path) else {
            throw LocalStoreError.damaged("the key file \(location.keyURL.lastPathComponent) is missing")
        }
        try KeySlot.registerVFS()
        return try KeySlot.unlock(keyFile: location.keyURL, passphrase: passphrase)
    }

    private static func open(
        _ location: StoreLocation, lock: FileLock, keySlot: KeySlot?, lentKey: StoreKey?, options: Options,
        logger: Logger
    ) throws -> LocalStore {
        let writer = try openDatabase(location, keySlot: keySlot, journalMode: options.journalMode)
        // Only migrate when a migration is pending: checking reads, migrating writes, and a store must open for
        // reading on a full disk.
        let migrator = Self.migrator
        if try !writer.read({ db in try migrator.hasCompletedMigrations(db) }) {
            try migrator.migrate(writer)
        }
        return try LocalStore(
            location: location, writer: writer, lock: lock, keySlot: keySlot, lentKey: lentKey, logger: logger)
    }

    /// Rewraps the store's data key under a new passphrase. The database is not rewritten; the key file is
    /// replaced atomically, so a crash leaves either the old or the new passphrase working.
    public static func changePassphrase(
        at directory: URL, old: Passphrase, new: Passphrase, kdf: KDFParameters = .standard
    ) throws {
        let location = StoreLocation(directory: directory)
        guard location.exists else { throw LocalStoreError.storeMissing(location.directory) }
        guard !new.isEmpty else { throw LocalStoreError.invalidInput("an empty passphrase is not allowed") }
        let lock = try FileLock(url: location.lockURL, storeDirectory: location.directory)
        defer { lock.release() }
        try KeySlot.changePassphrase(keyFile: location.keyURL, old: old, new: new, kdf: kdf)
    }

    /// Closes the database, wipes the data key from memory and releases the lock. Safe to call more than once.
    public func close() {
        closeLock.lock()
        defer { closeLock.unlock() }
        guard !isClosed else { return }
        isClosed = true
        checkpointer?.close()
        do {
            if let pool = writer as? DatabasePool {
                // GRDB closes the writer before its read-only readers, and a read-only connection cannot
                // checkpoint, so fold the log into the database while the writer can.
                try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
                try pool.close()
            } else if let queue = writer as? DatabaseQueue {
                try queue.close()
            }
        } catch {
            logger.error("closing the store failed", metadata: ["error": "\(error)"])
        }
        if lentKey == nil { keySlot?.release() }
        lock.release()
    }

    /// Runs `body` on the store, then closes it whatever happens.
    public func withClosing<T>(_ body: (LocalStore) throws -> T) rethrows -> T {
        defer { close() }
        return try body(self)
    }

    deinit { close() }

    // MARK: Database access

    private static func openDatabase(
        _ location: StoreLocation, keySlot: KeySlot?, journalMode: JournalMode
    ) throws -> any DatabaseWriter {
        let config = configuration(encrypted: keySlot != nil, journalMode: journalMode)
        let uri = databaseURI(location, keySlot: keySlot)
        switch journalMode {
        case .wal:
            do {
                return try DatabasePool(path: uri, configuration: config)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
                // Opening a pool writes (GRDB makes sure the log is not empty), which a full disk refuses. One
                // connection needs no such write, so notes stay readable; a change still fails as disk full.
                return try DatabaseQueue(path: uri, configuration: config)
            }
        case .rollback:
            var rollbackConfig = config
            rollbackConfig.journalMode = .default
            let queue = try DatabaseQueue(path: uri, configuration: rollbackConfig)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            return queue
        }
    }

    /// A second read-write connection to a WAL store, for `WALCheckpointer`.
    private static func openCheckpointConnection(_ location: StoreLocation, keySlot: KeySlot?) throws -> DatabaseQueue {
        var config = configuration(encrypted: keySlot != nil, journalMode: .wal)
        config.label = "fieldsync.localstore.checkpoint"
        let uri = databaseURI(location, keySlot: keySlot)
        return try DatabaseQueue(path: uri, configuration: config)
    }

    /// The URI every connection opens: through the encrypting VFS with the key slot, or plain.
    private static func databaseURI(_ location: StoreLocation, keySlot: KeySlot?) -> String {
        location.databaseURI(vfs: keySlot != nil ? FIELDVFS_NAME : nil, keySlot: keySlot?.id)
    }

    /// The settings of every connection to the store.
    private static func configuration(encrypted: Bool, journalMode: JournalMode) -> Configuration {
        var config = Configuration()
        config.label = "fieldsync.localstore"
        config.prepareDatabase { db in
            if encrypted {
                let code = fieldvfs_prepare_connection(db.sqliteConnection)
                guard code == 0 else {
                    throw LocalStoreError.io("cannot prepare an encrypted connection (SQLite code \(code))")
                }
            } else {
                // The same settings the VFS enforces, so plain and encrypted stores behave alike.
                try db.execute(sql: "PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 0")
            }
            // Rollback mode needs FULL: a torn journal record would otherwise read as tampering after power loss.
            try db.execute(sql: "PRAGMA synchronous = \(journalMode == .wal ? "NORMAL" : "FULL")")
            // A page cache that holds a caseload's working set: decrypting a page costs ~2 µs, a cache hit nothing.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            if journalMode == .wal {
                // The writer's own checkpoint is a backstop (see WALCheckpointer): at 8,192 pages (32 MiB) of
                // log instead of SQLite's 1,000.
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 8192")
            }
        }
        return config
    }

    /// Runs a read transaction, mapping SQLite's errors to the store's.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try guardOpen()
        do { return try writer.read(body) } catch { throw Self.mapError(error) }
    }

    /// Runs a write transaction, mapping SQLite's errors to the store's.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try guardOpen()
        do {
            return try writer.write { db in
                subjectWordsCache.removeAll(keepingCapacity: true)
                return try body(db)
            }
        } catch {
            throw Self.mapError(error)
        }
    }

    /// Runs a write transaction of many records (a pulled page, a batch of acknowledgements, an import), then
    /// has the log folded into the file in the background. Single writes do not: a checkpoint (and its fsync)
    /// per note would cost more than it saves, and the writer's backstop checkpoint covers them.
    func bulkWrite<T>(_ body: (Database) throws -> T) throws -> T {
        defer { checkpointer?.schedule() }
        return try write(body)
    }

    private func guardOpen() throws {
        closeLock.lock()
        defer { closeLock.unlock() }
        if isClosed { throw LocalStoreError.closed }
    }

    static func mapError(_ error: any Error) -> any Error {
        if let storeError = error as? LocalStoreError { return storeError }
        if let dbError = error as? DatabaseError {
            switch dbError.resultCode {
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                return LocalStoreError.damaged(dbError.message ?? "database corrupt")
            case .SQLITE_IOERR where dbError.extendedResultCode == .SQLITE_IOERR_DATA:
                // The VFS answers this when a page, journal record or WAL frame fails authentication.
                return LocalStoreError.damaged("a page failed authentication")
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return LocalStoreError.io("the database is busy: \(dbError.message ?? "")")
            case .SQLITE_FULL:
                return LocalStoreError.diskFull
            default:
                return LocalStoreError.io("database error: \(dbError)")
            }
        }
        return error
    }
}

/// Keys of the `meta` table.
enum MetaKey {
    static let replicaID = "replica-id"
    /// The replica ids written with before re-enrolments, space-separated, oldest first.
    static let earlierReplicaIDs = "earlier-replica-ids"
    static let adviser = "adviser"
    static let deviceName = "device-name"
    static let createdAt = "created-at"
    static let pullCursor = "pull-cursor"
    static let enrolment = "enrolment"
    static let deviceToken = "device-token"
    static let lastSync = "last-sync"
    static let teamDirectory = "team-directory"
    /// The replica id a push was refused under as rolled back (`409 replica_rolled_back`), until the store has
    /// continued as a new replica.
    static let rolledBackReplica = "rolled-back-replica"
}

extension LocalStore {
    /// Reads every page of the store and checks SQLite's structure. A page that fails authentication or a
    /// broken structure throws `LocalStoreError.damaged`.
    public func verifyIntegrity() throws {
        let result = try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        guard result == ["ok"] else {
            // One line: the first problem SQLite names, and how many there are.
            let first = (result.first ?? "").split(whereSeparator: \.isNewline).joined(separator: " ")
            throw LocalStoreError.damaged(result.count > 1 ? "\(first); \(result.count) problems in all" : first)
        }
    }
}
