import Foundation

/// Figures one SQLite shell measured on the reference workload. Times are the sums of the shell's `.timer` over
/// the lines of each script, which excludes process start-up and key set-up.
struct ShellFigures {
    var bulkSeconds = 0.0
    var bulkNotes = 0
    var singleSeconds = 0.0
    var singleNotes = 0
    var readSeconds = 0.0
    var reads = 0
    var searchSeconds = 0.0
    var searches = 0
    var databaseBytes: Int64 = 0
}

/// What the SQLCipher reference found.
struct SQLCipherResults {
    /// SQLCipher's own version (`PRAGMA cipher_version`) and the SQLite it is built on.
    var sqlcipherVersion = ""
    var sqlcipherSQLiteVersion = ""
    /// The system `sqlite3` shell's SQLite version, when that shell is installed.
    var sqlite3Version: String?
    /// Per engine (`ShellEngine.key`), in the order they ran.
    var figures: [(engine: ShellEngine, figures: ShellFigures)] = []
    /// p50 of opening a passphrase-keyed SQLCipher database (its PBKDF2 key derivation), in seconds.
    var unlockSeconds: Double?

    func figures(for key: String) -> ShellFigures? {
        figures.first { $0.engine.key == key }?.figures
    }
}

/// Measured, deliberately skipped, or impossible (with the reason).
enum ReferenceOutcome {
    case measured(SQLCipherResults)
    case skipped(String)
    case failed(String)
}

/// A SQLite shell and the settings it runs the workload with.
struct ShellEngine {
    static let sqlite3 = "sqlite3"
    static let sqlcipherPlain = "sqlcipher_plain"
    static let sqlcipherKeyed = "sqlcipher_keyed"

    let key: String
    let label: String
    let executable: URL
    /// PRAGMAs sent first on every connection (the key, for the keyed engine).
    let keyPragmas: String
    let databaseURL: URL
    var isEncrypted: Bool { !keyPragmas.isEmpty }
}

/// Runs the same SQL workload through Debian's `sqlcipher` shell with and without a key, and through the system
/// `sqlite3` shell, so SQLCipher's cost can be read as a ratio next to ours.
///
/// The fair ratio is SQLCipher keyed over SQLCipher without a key: the same SQLite 3.15.2 build, the same
/// compile options (SQLCipher's SECURE_DELETE included), the same shell; only the codec differs. The keyed
/// engine gets a raw 256-bit key (`x'…'`), so PBKDF2 stays out of the workload; its cost is measured separately.
struct SQLCipherReference {
    let options: BenchOptions
    let directory: URL
    let progress: ProgressLine

    /// A fixed raw key: the workload measures page encryption, not key handling.
    private static let rawKey = "2DD29CA851E7B56E4697B0E1F08507293D761A05CE4D1B628663F411A8086D99"
    private static let unlockRuns = 5

    func run() -> ReferenceOutcome {
        guard options.sqlcipher else { return .skipped("--no-sqlcipher was given") }
        guard let sqlcipher = Self.findExecutable("sqlcipher") else {
            return .skipped("the sqlcipher shell is not installed (apt-get install sqlcipher; "
                + "scripts/bench-store.sh does this)")
        }
        do {
            return .measured(try measure(sqlcipher: sqlcipher, sqlite3: Self.findExecutable("sqlite3")))
        } catch {
            return .failed("\(error)")
        }
    }

    private func measure(sqlcipher: URL, sqlite3: URL?) throws -> SQLCipherResults {
        var results = SQLCipherResults()
        results.sqlcipherSQLiteVersion = try Self.version(of: sqlcipher)
        results.sqlcipherVersion = try shell(
            sqlcipher, database: ":memory:", driver: "PRAGMA key = \"x'\(Self.rawKey)'\";\nPRAGMA cipher_version;\n"
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        var engines: [ShellEngine] = []
        if let sqlite3 {
            results.sqlite3Version = try Self.version(of: sqlite3)
            engines.append(ShellEngine(
                key: ShellEngine.sqlite3, label: "sqlite3 \(results.sqlite3Version ?? "")", executable: sqlite3,
                keyPragmas: "", databaseURL: directory.appendingPathComponent("sqlite3.db")))
        }
        engines.append(ShellEngine(
            key: ShellEngine.sqlcipherPlain, label: "sqlcipher, no key", executable: sqlcipher, keyPragmas: "",
            databaseURL: directory.appendingPathComponent("sqlcipher-plain.db")))
        engines.append(ShellEngine(
            key: ShellEngine.sqlcipherKeyed, label: "sqlcipher, keyed", executable: sqlcipher,
            // cipher_page_size: SQLCipher 3 defaults to 1 KiB pages; LocalStore and the others use 4 KiB.
            keyPragmas: "PRAGMA key = \"x'\(Self.rawKey)'\";\nPRAGMA cipher_page_size = 4096;\n",
            databaseURL: directory.appendingPathComponent("sqlcipher-keyed.db")))

        progress.say("SQLCipher reference: writing the SQL scripts (\(options.notes) notes)")
        let scripts = try ReferenceWorkload(options: options, directory: directory).write()
        var figures = [ShellFigures](repeating: ShellFigures(), count: engines.count)
        for engine in engines {
            let pageSize = engine.isEncrypted ? "" : "PRAGMA page_size = 4096;\n"
            _ = try shell(engine.executable, database: engine.databaseURL.path,
                          driver: ".output /dev/null\n\(engine.keyPragmas)\(pageSize)\(journalPragmas)"
                            + ".read '\(scripts.schema.path)'\n")
        }
        let phases: [(name: String, script: URL, lines: Int)] = [
            ("bulk insert", scripts.bulk, scripts.bulkLines),
            ("single inserts", scripts.singles, scripts.singleLines),
            ("point reads", scripts.reads, scripts.readLines),
            ("FTS4 queries", scripts.searches, scripts.searchLines),
        ]
        for (phaseIndex, phase) in phases.enumerated() {
            // Rotate which engine goes first, so none always runs on the coldest or warmest machine.
            for turn in 0..<engines.count {
                let index = (turn + phaseIndex) % engines.count
                let engine = engines[index]
                progress.say("SQLCipher reference: \(phase.name) with \(engine.label)")
                let seconds = try timedRun(engine, script: phase.script, expectedLines: phase.lines)
                switch phaseIndex {
                case 0: figures[index].bulkSeconds = seconds; figures[index].bulkNotes = scripts.bulkNotes
                case 1: figures[index].singleSeconds = seconds; figures[index].singleNotes = scripts.singleNotes
                case 2: figures[index].readSeconds = seconds; figures[index].reads = scripts.readCount
                default: figures[index].searchSeconds = seconds; figures[index].searches = scripts.searchCount
                }
                if phaseIndex == 0 { try checkEncryption(of: engine) }
            }
        }
        for (index, engine) in engines.enumerated() {
            figures[index].databaseBytes = Self.fileBytes(engine.databaseURL.path)
                + Self.fileBytes(engine.databaseURL.path + "-wal")
            results.figures.append((engine, figures[index]))
        }
        results.unlockSeconds = try unlock(sqlcipher)
        return results
    }

    private var journalPragmas: String {
        switch options.journalMode {
        case .wal: return "PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\nPRAGMA temp_store = MEMORY;\n"
        case .rollback: return "PRAGMA journal_mode = DELETE;\nPRAGMA synchronous = FULL;\nPRAGMA temp_store = MEMORY;\n"
        }
    }

    /// Runs one workload script in a fresh shell and returns the sum of its timed lines.
    private func timedRun(_ engine: ShellEngine, script: URL, expectedLines: Int) throws -> Double {
        // The untimed count(*) reads the schema (and, keyed, derives nothing: the key is raw) before timing starts.
        let output = try shell(
            engine.executable, database: engine.databaseURL.path,
            driver: ".output /dev/null\n\(engine.keyPragmas)\(journalPragmas)SELECT count(*) FROM note;\n"
                + ".timer on\n.read '\(script.path)'\n")
        let times = Self.timerValues(output)
        guard times.count == expectedLines else {
            throw ReferenceFailure("\(engine.label): expected \(expectedLines) timed lines from \(script.lastPathComponent), "
                + "got \(times.count)")
        }
        return times.reduce(0, +)
    }

    /// The keyed database must not be plain SQLite, and the others must be: otherwise the ratio measures nothing.
    private func checkEncryption(of engine: ShellEngine) throws {
        let handle = try FileHandle(forReadingFrom: engine.databaseURL)
        defer { try? handle.close() }
        let header = try handle.read(upToCount: 16) ?? Data()
        let isPlain = header == Data("SQLite format 3\0".utf8)
        guard isPlain != engine.isEncrypted else {
            throw ReferenceFailure("\(engine.label): the database file is \(isPlain ? "plain" : "not plain") SQLite")
        }
    }

    /// p50 of opening a database keyed with a passphrase: SQLCipher 3 derives the key with PBKDF2 on first access.
    private func unlock(_ sqlcipher: URL) throws -> Double {
        progress.say("SQLCipher reference: unlock with a passphrase (PBKDF2)")
        let database = directory.appendingPathComponent("sqlcipher-kdf.db").path
        let key = "PRAGMA key = 'bench-store passphrase';\n"
        _ = try shell(sqlcipher, database: database, driver: key + "CREATE TABLE t (x);\nINSERT INTO t VALUES (1);\n")
        var samples = LatencySamples()
        for _ in 0..<Self.unlockRuns {
            let output = try shell(sqlcipher, database: database,
                                   driver: ".output /dev/null\n\(key).timer on\nSELECT count(*) FROM t;\n")
            guard let seconds = Self.timerValues(output).first else {
                throw ReferenceFailure("sqlcipher printed no timing for the unlock")
            }
            samples.append(seconds: seconds)
        }
        return samples.p50
    }

    // MARK: Running a shell

    /// Runs `executable -bail database` with `driver` on stdin; returns stdout. Anything on stderr is a failure.
    private func shell(_ executable: URL, database: String, driver: String) throws -> String {
        let name = UUID().uuidString
        let input = directory.appendingPathComponent("\(name).in")
        let output = directory.appendingPathComponent("\(name).out")
        let errors = directory.appendingPathComponent("\(name).err")
        defer { for url in [input, output, errors] { try? FileManager.default.removeItem(at: url) } }
        try driver.write(to: input, atomically: false, encoding: .utf8)
        for url in [output, errors] where !FileManager.default.createFile(atPath: url.path, contents: nil) {
            throw ReferenceFailure("cannot create \(url.path)")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["-bail", database]
        process.standardInput = try FileHandle(forReadingFrom: input)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0, stderr.isEmpty else {
            let line = stderr.split(separator: "\n").first.map(String.init) ?? "no message"
            throw ReferenceFailure(
                "\(executable.lastPathComponent) exited with \(process.terminationStatus): \(line.prefix(300))")
        }
        return try String(contentsOf: output, encoding: .utf8)
    }

    /// The `real` seconds of every `Run Time:` line the shell's `.timer` printed.
    static func timerValues(_ output: String) -> [Double] {
        output.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("Run Time: real ") else { return nil }
            return line.dropFirst("Run Time: real ".count).split(separator: " ").first.flatMap { Double($0) }
        }
    }

    private static func version(of executable: URL) throws -> String {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = executable
        process.arguments = ["-version"]
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? "unknown"
    }

    static func findExecutable(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    static func fileBytes(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
    }
}
