import Foundation
import Logging

/// Where the server's data lives, as given by `--database`.
///
/// ```swift
/// let location = try StorageLocation(parsing: "sqlite:/var/lib/fieldsync/server.sqlite")
/// let storage = try location.open(logger: logger)
/// ```
public enum StorageLocation: Sendable, Hashable, CustomStringConvertible {
    /// An embedded SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL database URL.
    case postgres(url: String)

    /// The file name of the embedded database inside the data directory.
    public static let defaultSQLiteFileName = "fieldsync-server.sqlite"

    /// Parses `sqlite:PATH`, `postgres://...` or `postgresql://...`.
    public init(parsing text: String) throws(StorageError) {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw .invalidDatabaseURL(text, reason: "sqlite: needs a file path") }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else {
            throw .invalidDatabaseURL(text, reason: "use sqlite:PATH or postgres://user@host:port/database")
        }
    }

    /// The default: the embedded database in `dataDirectory`.
    public static func `default`(dataDirectory: String) -> StorageLocation {
        .sqlite(path: URL(fileURLWithPath: dataDirectory).appendingPathComponent(defaultSQLiteFileName).path)
    }

    /// Opens the backend. The PostgreSQL backend needs its ``SyncStorage/run()`` running to connect.
    ///
    /// `encryptionKey` encrypts an SQLite database at rest (every page); in a PostgreSQL database it seals each
    /// record's body (``RecordSealer``), and ``SyncStorage/migrate()`` checks that it is the database's key.
    public func open(encryptionKey: DatabaseKey? = nil, logger: Logger) throws -> any SyncStorage {
        switch self {
        case .sqlite(let path): return try SQLiteStorage(path: path, encryptionKey: encryptionKey, logger: logger)
        case .postgres(let url):
            return try PostgresStorage(url: url, sealer: encryptionKey?.recordSealer, logger: logger)
        }
    }

    /// The location without a password, for logs.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url):
            guard var components = URLComponents(string: url) else { return "postgres://?" }
            if components.password != nil { components.password = "***" }
            return components.string ?? "postgres://?"
        }
    }
}

extension SyncStorage {
    /// Runs the backend's background work around `body`: migrates, calls `body`, then stops the backend.
    ///
    /// For one-shot users of a storage (the admin commands, tests) that are not run by a `ServiceGroup`.
    public func withRunning<Result: Sendable>(
        migrate: Bool = true, _ body: @Sendable (Self) async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            defer { group.cancelAll() }
            if migrate { try await self.migrate() }
            return try await body(self)
        }
    }
}
