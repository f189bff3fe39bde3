import Foundation

/// Progress for the long phases, on stderr so stdout holds only the table and the JSON line.
struct ProgressLine {
    private let start = ContinuousClock.now

    func say(_ message: String) {
        let elapsed = (ContinuousClock.now - start).inSeconds
        let line = String(format: "[bench-store %6.1fs] ", elapsed) + message + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
