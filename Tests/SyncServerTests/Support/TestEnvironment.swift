import Foundation
import Logging
import SyncServer
import Testing

/// Where the tests find their databases and scratch space.
enum TestEnvironment {
    /// The PostgreSQL test database (`scripts/postgres-test.sh` sets it); `nil` when not configured.
    static let postgresURL: String? = {
        guard let url = ProcessInfo.processInfo.environment["FIELDSYNC_TEST_POSTGRES_URL"], !url.isEmpty else {
            return nil
        }
        return url
    }()

    /// Whether we run in CI, where the PostgreSQL half must run (its absence is a failure, not a skip).
    static let isCI: Bool = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false

    /// Whether the PostgreSQL tests are enabled: configured, or in CI (where they then fail loudly).
    static let postgresEnabled = postgresURL != nil || isCI

    static let postgresSkipReason: Comment =
        "set FIELDSYNC_TEST_POSTGRES_URL (scripts/postgres-test.sh run swift test) to run the PostgreSQL half"

    /// A logger that drops everything below `warning`, so test output stays readable.
    static let logger: Logger = {
        var logger = Logger(label: "fieldsync.test")
        logger.logLevel = .critical
        return logger
    }()

    /// One directory per test process for every scratch directory, removed when the process exits (storages
    /// are still open when a test ends, so tests do not remove their own).
    static let scratchRoot: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("fieldsync-server-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
        atexit { try? FileManager.default.removeItem(at: TestEnvironment.scratchRoot) }
        return url
    }()

    /// A fresh temporary directory under `scratchRoot`.
    static func makeTemporaryDirectory() throws -> URL {
        let url = scratchRoot.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A unique name for a team or adviser, so tests can share one PostgreSQL database.
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// The two storage backends, as test arguments.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// The backends to run: SQLite always, PostgreSQL when configured or in CI.
    static var enabled: [Backend] {
        TestEnvironment.postgresEnabled ? [.sqlite, .postgres] : [.sqlite]
    }

    /// Opens a storage of this backend; for PostgreSQL it fails the test when no database is configured.
    func makeStorage() throws -> any SyncStorage {
        switch self {
        case .sqlite:
            let directory = try TestEnvironment.makeTemporaryDirectory()
            return try SQLiteStorage(
                path: directory.appendingPathComponent("server.sqlite").path, logger: TestEnvironment.logger)
        case .postgres:
            guard let url = TestEnvironment.postgresURL else {
                throw TestSetupError(
                    "FIELDSYNC_TEST_POSTGRES_URL is not set but CI is: the PostgreSQL half must run in CI "
                        + "(run the tests through scripts/postgres-test.sh run ...)")
            }
            if let sealed = Self.sealedPostgres {
                // A run of the shared tests over a database whose records are encrypted (EncryptedPostgresTests).
                return try PostgresStorage(
                    url: sealed.url, maximumConnections: 8, sealer: sealed.sealer, logger: TestEnvironment.logger)
            }
            return try PostgresStorage(url: url, maximumConnections: 8, logger: TestEnvironment.logger)
        }
    }

    /// When set, ``postgres`` opens this database, with this key if any, instead of the shared test database.
    @TaskLocal static var sealedPostgres: (url: String, sealer: RecordSealer?)?

    /// Runs `body` with a migrated storage of this backend, stopping its background work afterwards.
    func withStorage<Result: Sendable>(
        _ body: @Sendable (any SyncStorage) async throws -> Result
    ) async throws -> Result {
        let storage = try makeStorage()
        return try await storage.withRunning { storage in try await body(storage) }
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite("Test environment")
struct TestEnvironmentTests {
    /// In CI the PostgreSQL half may not be skipped: without a database URL this fails.
    @Test(.enabled(if: TestEnvironment.isCI, "only in CI (CI is set)"))
    func postgresIsConfiguredInCI() {
        #expect(
            TestEnvironment.postgresURL != nil,
            "CI is set but FIELDSYNC_TEST_POSTGRES_URL is not: run the tests through scripts/postgres-test.sh")
    }
}
