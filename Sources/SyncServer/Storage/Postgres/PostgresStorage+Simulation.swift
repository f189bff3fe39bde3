import Foundation
import Logging
import PostgresNIO
import SyncProtocol

extension PostgresStorage {
    /// Replaces the server's replica id chosen at migration (random) with `replica`, so that a seeded simulation
    /// of the shipped server writes the same dots in every run. For the simulator only: a server's replica id
    /// must never change once devices hold its writes.
    package func setServerReplica(_ replica: ReplicaID) async throws {
        try await client.query(
            "UPDATE server_settings SET value = \(replica.rawValue) WHERE name = 'replica'", logger: logger)
    }

    /// Creates an empty database named `name` on the PostgreSQL server of `url` (the user needs the `CREATEDB`
    /// right) and returns its URL: a simulation's server starts from nothing and cannot collide with other data.
    package static func createScratchDatabase(named name: String, on url: String, logger: Logger) async throws -> String
    {
        try Names.validate(name)
        try await administer(url: url, logger: logger) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""), logger: logger)
        }
        guard var components = URLComponents(string: url) else {
            throw StorageError.invalidDatabaseURL(url, reason: "not a URL")
        }
        components.path = "/" + name
        guard let scratch = components.string else {
            throw StorageError.invalidDatabaseURL(url, reason: "cannot name another database on this server")
        }
        return scratch
    }

    /// Drops a database made by ``createScratchDatabase(named:on:logger:)``, closing its remaining connections.
    package static func dropScratchDatabase(named name: String, on url: String, logger: Logger) async throws {
        try Names.validate(name)
        try await administer(url: url, logger: logger) { client in
            try await client.query(
                PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)"), logger: logger)
        }
    }

    /// Runs `body` with a one-connection client of `url`'s server.
    private static func administer(
        url: String, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> Void
    ) async throws {
        var configuration = try configuration(from: url)
        configuration.options.maximumConnections = 1
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await body(client)
        }
    }
}
