import GRDB

extension SQLiteStorage {
    /// SQLite's transient conditions (another connection holds the database, the disk is full, an I/O error)
    /// mean the database cannot serve the request now: `503`, retryable. Other SQLite errors are faults (`500`).
    public func storageError(for error: any Error) -> StorageError? {
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN:
            return .backend(operation: "a database request", underlying: error.description)
        default:
            return nil
        }
    }
}
