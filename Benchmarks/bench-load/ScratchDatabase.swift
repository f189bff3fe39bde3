import Foundation
import Logging
import PostgresNIO

/// A fresh PostgreSQL database for one run, created on the server of a given URL and dropped afterwards,
/// so every run starts from an empty schema that the server's own migrations create.
///
/// The URL's role must be allowed to create databases (the throwaway cluster of scripts/postgres-test.sh
/// connects as the superuser `postgres`).
struct ScratchDatabase: Sendable {
    /// The URL of the fresh database: the given URL with another database name.
    let url: String
    let name: String
    private let serverURL: String

    /// Creates `fieldsync_bench_<random>` on the server that `serverURL` points to.
    static func create(serverURL: String, logger: Logger) async throws -> ScratchDatabase {
        guard var components = URLComponents(string: serverURL) else {
            throw BenchError("not a PostgreSQL URL: \(Self.redacted(serverURL))")
        }
        let name = "fieldsync_bench_" + UUID().uuidString.prefix(8).lowercased()
        try await execute("CREATE DATABASE \"\(name)\"", on: serverURL, logger: logger)
        components.path = "/" + name
        guard let url = components.string else { throw BenchError("cannot build a URL for database \(name)") }
        return ScratchDatabase(url: url, name: name, serverURL: serverURL)
    }

    /// Drops the database (after the server process that used it has stopped).
    func drop(logger: Logger) async throws {
        do {
            // FORCE (PostgreSQL 13+) ends connections a killed server may have left behind.
            try await Self.execute("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)", on: serverURL, logger: logger)
        } catch {
            try await Self.execute("DROP DATABASE IF EXISTS \"\(name)\"", on: serverURL, logger: logger)
        }
    }

    /// Runs one statement outside a transaction (CREATE/DROP DATABASE cannot run inside one).
    private static func execute(_ sql: String, on url: String, logger: Logger) async throws {
        let client = PostgresClient(configuration: try configuration(url), backgroundLogger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            }
        } catch {
            throw BenchError("PostgreSQL at \(redacted(url)): \(sql) failed: \(String(reflecting: error))")
        }
    }

    /// The client configuration for `postgres://user[:password]@host[:port]/database[?sslmode=...]`.
    private static func configuration(_ url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty, let user = components.user, !user.isEmpty
        else { throw BenchError("expected postgres://user@host[:port]/database, got \(redacted(url))") }
        let database = String(components.path.drop { $0 == "/" })
        let tls: PostgresClient.Configuration.TLS
        switch components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer" {
        case "disable": tls = .disable
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database.isEmpty ? nil : database, tls: tls)
    }

    /// The URL without its password, for messages.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "postgres://?" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "postgres://?"
    }
}
