import Foundation
import SyncProtocol
import SyncServer
import Testing

/// How many statements a push sends to PostgreSQL (issue #12 point 5): every one is a round trip under the write
/// lock. Counted from the server's log, with `log_statement = all` for one scratch database only.
@Suite(
    "PostgreSQL round trips", .serialized,
    .enabled(if: TestEnvironment.postgresEnabled, TestEnvironment.postgresSkipReason))
struct PostgresRoundTripTests {
    @Test(arguments: [false, true])
    func aPushIsFiveStatementsInItsTransaction(sealed: Bool) async throws {
        guard let cluster = ProcessInfo.processInfo.environment["FIELDSYNC_TEST_POSTGRES_DIR"] else {
            print("PostgresRoundTripTests: skipped, FIELDSYNC_TEST_POSTGRES_DIR (the server's log) is not set")
            return
        }
        let log = URL(fileURLWithPath: cluster).appendingPathComponent("server.log")
        let database = try ScratchPostgres.create()
        defer { database.drop() }
        try database.psql("ALTER DATABASE \(database.name) SET log_statement = 'all'")
        let sealer = sealed ? RecordSealer(key: [UInt8](repeating: 7, count: 32), keyFile: "test.key") : nil
        let logged = LoggedStatements()
        try await Backend.$sealedPostgres.withValue((database.url, sealer)) {
            try await APIHarness.run(.postgres) { api in
                let laptop = try await api.enrol("laptop")
                let subject = try ScopeAPITests.subject("s1", by: laptop.replica)
                #expect(try await api.push([subject], as: laptop, batchID: "b1").status == .ok)
                let start = try Data(contentsOf: log).count
                let notes = try (0..<10).map { try ScopeAPITests.note("n\($0)", about: "s1", by: laptop.replica) }
                #expect(try await api.push(notes, as: laptop, batchID: "b2").status == .ok)
                // The server logs a statement as it runs it: wait (at most 10 s) until the push's COMMIT is there.
                var text = ""
                let deadline = ContinuousClock.now + .seconds(10)
                repeat {
                    text = String(decoding: try Data(contentsOf: log).dropFirst(start), as: UTF8.self)
                    if text.split(separator: "\n").contains(where: { $0.hasSuffix(": COMMIT") }) { break }
                    try await Task.sleep(for: .milliseconds(20))
                } while ContinuousClock.now < deadline
                #expect(
                    text.split(separator: "\n").contains(where: { $0.hasSuffix(": COMMIT") }),
                    "the push's COMMIT never reached the log")
                logged.set(
                    text.split(separator: "\n").filter {
                        $0.contains("LOG:  statement: ") || $0.contains("LOG:  execute ")
                    }.map { String($0) })
            }
        }
        let statements = logged.get()
        let begin = try #require(statements.firstIndex { $0.hasSuffix(": BEGIN") }, "\(statements)")
        let commit = try #require(statements.lastIndex { $0.hasSuffix(": COMMIT") }, "\(statements)")
        // BEGIN, the write lock, one read, one write, COMMIT (it was 12 or 13 before the read and the write were
        // each made one statement).
        #expect(commit - begin + 1 == 5, "\(statements.joined(separator: "\n"))")
        // Before the transaction: the device behind the token, with its teams, and the team's partners.
        #expect(statements.count == 7, "\(statements.joined(separator: "\n"))")
    }
}

/// The log lines a test collected inside a closure that returns nothing.
private final class LoggedStatements: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func set(_ value: [String]) { lock.withLock { lines = value } }
    func get() -> [String] { lock.withLock { lines } }
}
