import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Logging
import SyncProtocol
import Testing

@testable import SyncServer

/// Each backend names its own driver errors (issue #13 point 1): the HTTP layer knows only ``StorageError``, and
/// a database that is busy or unreachable is `503` with `Retry-After`, never a bare `500`.
@Suite("Storage errors: each backend maps its driver's")
struct StorageErrorMappingTests {
    @Test func sqliteTransientConditionsAreUnavailableAndOtherErrorsFaults() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory()
        let storage = try SQLiteStorage(
            path: directory.appendingPathComponent("s.sqlite").path, logger: TestEnvironment.logger)
        for code in [ResultCode.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_FULL, .SQLITE_IOERR] {
            let mapped = storage.storageError(for: DatabaseError(resultCode: code, message: "x"))
            guard case .backend? = mapped else {
                Issue.record("\(code) is not mapped to .backend: \(String(describing: mapped))")
                continue
            }
        }
        #expect(storage.storageError(for: DatabaseError(resultCode: .SQLITE_CONSTRAINT)) == nil)
        #expect(storage.storageError(for: CancellationError()) == nil)
    }

    @Test func postgresMapsOnlyItsDriversErrors() throws {
        let storage = try PostgresStorage(url: "postgres://nobody@127.0.0.1:1/none", logger: TestEnvironment.logger)
        #expect(storage.storageError(for: DatabaseError(resultCode: .SQLITE_BUSY)) == nil)
        #expect(storage.storageError(for: CancellationError()) == nil)
    }

    @Test func aBusyDatabaseIsAnsweredUnavailableWithRetryAfter() async throws {
        // The middleware alone, in front of a route that meets SQLite's busy condition.
        let directory = try TestEnvironment.makeTemporaryDirectory()
        let storage = try SQLiteStorage(
            path: directory.appendingPathComponent("s.sqlite").path, logger: TestEnvironment.logger)
        let router = Router(context: SyncRequestContext.self)
        router.add(middleware: ErrorMiddleware(routes: RouteDescriptor.all, storage: storage))
        router.get("/busy") { _, _ -> String in
            throw DatabaseError(resultCode: .SQLITE_BUSY, message: "database is locked")
        }
        router.get("/broken") { _, _ -> String in throw DatabaseError(resultCode: .SQLITE_CORRUPT) }
        try await Application(router: router).test(.router) { client in
            let busy = try await client.executeRequest(uri: "/busy", method: .get, headers: [:], body: nil)
            #expect(busy.status == .serviceUnavailable)
            #expect(busy.headers[.retryAfter] != nil)
            let body = try WireCoding.decode(ErrorBody.self, from: Data(buffer: busy.body))
            #expect(body.code == .unavailable && body.retryable && !body.message.contains("locked"))
            let broken = try await client.executeRequest(uri: "/broken", method: .get, headers: [:], body: nil)
            #expect(broken.status == .internalServerError)
        }
    }
}
