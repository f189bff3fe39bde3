import Foundation
import LocalStore

/// The benchmark's command line. Kept dependency-free: the target links only LocalStore and CSQLite.
struct BenchOptions {
    var notes = 100_000
    var subjects = 20
    var batchSize = 1_000
    var singleInserts = 2_000
    var pointReads = 5_000
    var subjectLists = 200
    var searches = 200
    var unlocks = 5
    var seed: UInt64 = 20_251_123
    var journalMode: LocalStore.JournalMode = .wal
    var kdf: KDFParameters = .standard
    var sqlcipher = true
    var jsonOut: String?
    var keepFiles = false

    static let usage = """
        usage: bench-store [options]
          --notes N            notes in the loaded store (default 100000)
          --subjects N         subjects the notes are spread over (default 20)
          --batch N            notes per transaction in the bulk insert (default 1000)
          --singles N          one-note transactions on top of the loaded store (default 2000)
          --reads N            point reads by id (default 5000)
          --lists N            listings of one subject (default 200)
          --searches N         full-text queries (default 200)
          --unlocks N          opens of each store for the unlock figure (default 5)
          --journal wal|rollback   SQLite journal of both stores (default wal)
          --kdf-log2n N        scrypt cost of the encrypted store, N = 2^n (default 16, the store's standard)
          --seed N             seed of the generated notes (default 20251123)
          --no-sqlcipher       skip the SQLCipher reference measurement
          --json-out FILE      also write the JSON line to FILE
          --keep               keep the stores, reference databases and scripts (prints where), to inspect them
          --help               show this help
        """

    /// Parses `arguments` (without the program name).
    static func parse(_ arguments: [String]) throws -> BenchOptions {
        var options = BenchOptions()
        var remaining = arguments[...]
        func value(for flag: String) throws -> String {
            guard let next = remaining.popFirst() else { throw UsageError("\(flag) needs a value") }
            return next
        }
        func count(for flag: String, minimum: Int = 1) throws -> Int {
            let text = try value(for: flag)
            guard let number = Int(text.replacingOccurrences(of: "_", with: "")), number >= minimum else {
                throw UsageError("\(flag) needs a whole number ≥ \(minimum), not '\(text)'")
            }
            return number
        }
        while let flag = remaining.popFirst() {
            switch flag {
            case "--notes": options.notes = try count(for: flag)
            case "--subjects": options.subjects = try count(for: flag)
            case "--batch": options.batchSize = try count(for: flag)
            case "--singles": options.singleInserts = try count(for: flag)
            case "--reads": options.pointReads = try count(for: flag)
            case "--lists": options.subjectLists = try count(for: flag)
            case "--searches": options.searches = try count(for: flag)
            case "--unlocks": options.unlocks = try count(for: flag)
            case "--seed": options.seed = UInt64(try count(for: flag, minimum: 0))
            case "--kdf-log2n":
                let log2N = try count(for: flag, minimum: 10)
                guard log2N <= 22 else { throw UsageError("--kdf-log2n must be between 10 and 22") }
                options.kdf = KDFParameters(log2N: UInt64(log2N))
            case "--journal":
                let text = try value(for: flag)
                guard let mode = LocalStore.JournalMode(rawValue: text) else {
                    throw UsageError("--journal must be wal or rollback, not '\(text)'")
                }
                options.journalMode = mode
            case "--no-sqlcipher": options.sqlcipher = false
            case "--json-out": options.jsonOut = try value(for: flag)
            case "--keep": options.keepFiles = true
            case "--help", "-h": throw HelpRequested()
            default: throw UsageError("unknown option '\(flag)'")
            }
        }
        return options
    }
}

/// A command line the benchmark cannot run with.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `--help` was given.
struct HelpRequested: Error {}
