/// The record of a run: every event as one line, folded into a 64-bit FNV-1a hash.
///
/// Two runs with the same seed and options must produce the same hash; the test suite checks it.
/// Only the last ``retainedLines`` lines are kept (for failure reports), unless a sink is given.
public struct EventLog: Sendable {
    /// The hash of every line so far, in order.
    public private(set) var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    /// How many events were logged.
    public private(set) var count = 0
    /// The most recent lines, oldest first.
    public var recentLines: [String] { Array(ring[ringStart...] + ring[..<ringStart]) }
    /// How many recent lines are kept.
    public let retainedLines: Int
    private var ring: [String] = []
    private var ringStart = 0
    private let sink: (@Sendable (String) -> Void)?

    /// Creates an empty log keeping `retainedLines` recent lines; `sink` sees every line (for tracing).
    public init(retainedLines: Int = 200, sink: (@Sendable (String) -> Void)? = nil) {
        self.retainedLines = max(1, retainedLines)
        self.sink = sink
    }

    /// Appends one event at virtual time `time` (milliseconds).
    mutating func append(_ time: Int64, _ text: String) {
        let line = "\(time) \(text)"
        for byte in line.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        hash = (hash ^ 0x0A) &* 0x0000_0100_0000_01B3
        count += 1
        sink?(line)
        if ring.count < retainedLines {
            ring.append(line)
        } else {
            ring[ringStart] = line
            ringStart = (ringStart + 1) % retainedLines
        }
    }

    /// The hash as 16 hex digits.
    public var hashText: String {
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
