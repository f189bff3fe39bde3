import Foundation
import GRDB
import Logging

/// Copies committed write-ahead-log frames into the database file on a connection and thread of its own.
///
/// With SQLite's automatic checkpoints, the committing writer copies the log into the database itself: every
/// page is decrypted from the log and sealed again into the file before the next write may start. Profiling a
/// cold pull showed that to be about 45 % of applying a page. Here the writer only appends to the log, and this
/// checkpointer, woken after each bulk write (`LocalStore.bulkWrite`), backfills it in parallel (a `PASSIVE` checkpoint never blocks the
/// writer or readers). The writer's own automatic checkpoint stays as a backstop at a larger log size, so the
/// log stays bounded when the checkpointer falls behind; it then finds most frames already copied.
final class WALCheckpointer: @unchecked Sendable {
    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "fieldsync.localstore.checkpoint", qos: .utility)
    private let logger: Logger
    private let lock = NSLock()
    private var scheduled = false
    private var closed = false

    init(connection: DatabaseQueue, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Asks for a checkpoint soon; requests made while one is waiting to run are folded into it.
    func schedule() {
        lock.lock()
        guard !closed, !scheduled else {
            lock.unlock()
            return
        }
        scheduled = true
        lock.unlock()
        queue.async { [self] in
            lock.lock()
            scheduled = false
            let stop = closed
            lock.unlock()
            guard !stop else { return }
            do {
                try connection.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
            } catch {
                // Not fatal: the writer's automatic checkpoint copies whatever is left.
                logger.debug("background checkpoint failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Waits for a running checkpoint and closes the connection; later `schedule()` calls do nothing.
    func close() {
        lock.lock()
        closed = true
        lock.unlock()
        queue.sync {}
        do {
            try connection.close()
        } catch {
            logger.error("closing the checkpoint connection failed", metadata: ["error": "\(error)"])
        }
    }
}
