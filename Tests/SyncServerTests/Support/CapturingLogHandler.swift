import Foundation
import Logging
import Synchronization

/// A log handler that keeps every line (message and metadata), to check what a server writes to its logs.
struct CapturingLogHandler: LogHandler {
    /// The lines logged so far, shared by every copy of the handler.
    final class Lines: Sendable {
        private let storage = Mutex<[String]>([])
        var all: [String] { storage.withLock { $0 } }
        func append(_ line: String) { storage.withLock { $0.append(line) } }
    }

    let lines: Lines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.append("\(event.level) \(event.message) \(merged)")
    }

    /// A logger that records everything into `lines`.
    static func logger(into lines: Lines) -> Logger {
        Logger(label: "fieldsync.test.captured") { _ in CapturingLogHandler(lines: lines) }
    }
}
