import PostgresNIO

extension PostgresStorage {
    /// PostgresNIO's errors (a connection refused or lost, a server that shuts down, a query the server
    /// refused) mean the database is not serving: `503`, retryable. The description is for the log only.
    public func storageError(for error: any Error) -> StorageError? {
        switch error {
        case is PSQLError, is PostgresNIO.PostgresError:
            .backend(operation: "a database request", underlying: String(reflecting: error))
        default: nil
        }
    }
}
