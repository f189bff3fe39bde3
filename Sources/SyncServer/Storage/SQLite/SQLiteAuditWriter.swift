import GRDB
import Synchronization

/// Writes the audit entries of pulls with group commit: entries that arrive while a write is running are
/// written together in the next transaction.
///
/// Every pull must be audited before it is answered, and each SQLite commit costs an `fsync`; with many
/// devices pulling at once, one commit per pull would make the disk the server's limit. Each caller
/// still waits until its own entry is committed.
final class SQLiteAuditWriter: Sendable {
    private struct State {
        var pending: [(event: AuditEvent, waiter: CheckedContinuation<Void, any Error>)] = []
        var writing = false
    }

    private let pool: DatabasePool
    private let state = Mutex(State())

    init(pool: DatabasePool) {
        self.pool = pool
    }

    /// Appends `event`, returning once it is committed.
    func append(_ event: AuditEvent) async throws {
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
            let startWriter = state.withLock { state in
                state.pending.append((event, waiter))
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            if startWriter {
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state in
                let batch = state.pending
                state.pending = []
                if batch.isEmpty { state.writing = false }
                return batch
            }
            if batch.isEmpty { return }
            let events = batch.map(\.event)
            do {
                try await pool.write { db in
                    for event in events { try SQLiteStorage.insertAudit(event, db: db) }
                }
                for entry in batch { entry.waiter.resume() }
            } catch {
                for entry in batch { entry.waiter.resume(throwing: error) }
            }
        }
    }
}
