import FieldsyncTestSupport
import Foundation

/// Figures one engine measured on the reference workload. Times are the sums over the lines of each script (the
/// shell's `.timer`, or the clock around `sqlite3_exec` in process), which excludes start-up and key set-up.
struct ReferenceFigures {
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
    /// The libsqlite3 this process (and LocalStore) runs on.
    var librarySQLiteVersion = ""
    /// Per engine, in the order of the table.
    var figures: [(engine: ReferenceEngine, figures: ReferenceFigures)] = []
    /// p50 of opening a passphrase-keyed SQLCipher database (its PBKDF2 key derivation), in seconds.
    var unlockSeconds: Double?

    func figures(for key: String) -> ReferenceFigures? {
        figures.first { $0.engine.key == key }?.figures
    }
}

/// Measured, deliberately skipped, or impossible (with the reason).
enum ReferenceOutcome {
    case measured(SQLCipherResults)
    case skipped(String)
    case failed(String)
}

/// A SQLite engine of the reference: a shell (sqlite3, sqlcipher) or libsqlite3 in this process, plain or
/// through fieldvfs.
struct ReferenceEngine {
    enum Runner {
        /// A shell executable; `keyPragmas` are sent first on every connection (the key, for SQLCipher).
        case shell(executable: URL, keyPragmas: String)
        /// libsqlite3 through the C API, through fieldvfs when `encrypted`.
        case inProcess(encrypted: Bool)
    }

    static let sqlite3 = "sqlite3"
    static let sqlcipherPlain = "sqlcipher_plain"
    static let sqlcipherKeyed = "sqlcipher_keyed"
    static let libsqlite3 = "libsqlite3"
    static let fieldvfs = "fieldvfs"

    let key: String
    let label: String
    let runner: Runner
    let databaseURL: URL

    var isEncrypted: Bool {
        switch runner {
        case .shell(_, let keyPragmas): return !keyPragmas.isEmpty
        case .inProcess(let encrypted): return encrypted
        }
    }
}

/// Runs the same SQL workload through Debian's `sqlcipher` shell with and without a key, through the system
/// `sqlite3` shell, and through libsqlite3 in this process with and without fieldvfs, so SQLCipher's cost and the
/// VFS's cost can be read as ratios measured the same way.
///
/// The fair SQLCipher ratio is keyed over no key: the same SQLite 3.15.2 build, the same compile options
/// (SQLCipher's SECURE_DELETE included), the same shell; only the codec differs. The keyed engine gets a raw
/// 256-bit key (`x'…'`), so PBKDF2 stays out of the workload; its cost is measured separately. The fair fieldvfs
/// ratio is fieldvfs over plain libsqlite3 in the same process on the same SQL.
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
            return .skipped(
                "the sqlcipher shell is not installed (apt-get install sqlcipher; "
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
        results.librarySQLiteVersion = SQLiteScriptRunner.libraryVersion
        let engines = makeEngines(sqlcipher: sqlcipher, sqlite3: sqlite3, results: &results)
        let vfsKey = try SQLiteScriptRunner.VFSKey(keyFile: directory.appendingPathComponent("fieldvfs.key"))

        progress.say("SQL reference: writing the SQL scripts (\(options.notes) notes)")
        let scripts = try ReferenceWorkload(options: options, directory: directory).write()
        for engine in engines {
            switch engine.runner {
            case .shell(let executable, let keyPragmas):
                let pageSize = engine.isEncrypted ? "" : "PRAGMA page_size = 4096;\n"
                _ = try shell(
                    executable, database: engine.databaseURL.path,
                    driver: ".output /dev/null\n\(keyPragmas)\(pageSize)\(journalPragmas)"
                        + ".read '\(scripts.schema.path)'\n")
            case .inProcess(let encrypted):
                let runner = try SQLiteScriptRunner(
                    database: engine.databaseURL, key: encrypted ? vfsKey : nil, journalPragmas: journalPragmas)
                try runner.execute(String(contentsOf: scripts.schema, encoding: .utf8))
            }
        }
        let phases: [(name: String, script: URL, lines: Int)] = [
            ("bulk insert", scripts.bulk, scripts.bulkLines),
            ("single inserts", scripts.singles, scripts.singleLines),
            ("point reads", scripts.reads, scripts.readLines),
            ("FTS4 queries", scripts.searches, scripts.searchLines),
        ]
        var figures = [ReferenceFigures](repeating: ReferenceFigures(), count: engines.count)
        func record(_ times: [Double], engine index: Int, phase phaseIndex: Int) throws {
            let phase = phases[phaseIndex]
            guard times.count == phase.lines else {
                throw ReferenceFailure(
                    "\(engines[index].label): expected \(phase.lines) timed lines from "
                        + "\(phase.script.lastPathComponent), got \(times.count)")
            }
            let seconds = times.reduce(0, +)
            switch phaseIndex {
            case 0: figures[index].bulkSeconds = seconds; figures[index].bulkNotes = scripts.bulkNotes
            case 1: figures[index].singleSeconds = seconds; figures[index].singleNotes = scripts.singleNotes
            case 2: figures[index].readSeconds = seconds; figures[index].reads = scripts.readCount
            default: figures[index].searchSeconds = seconds; figures[index].searches = scripts.searchCount
            }
            if phaseIndex == 0 { try checkEncryption(of: engines[index]) }
        }
        let shells = engines.indices.filter { if case .shell = engines[$0].runner { true } else { false } }
        let plainIndex = engines.firstIndex { $0.key == ReferenceEngine.libsqlite3 }!
        let vfsIndex = engines.firstIndex { $0.key == ReferenceEngine.fieldvfs }!
        for (phaseIndex, phase) in phases.enumerated() {
            // Shells run one after another; rotate which goes first, so none always meets the same machine load.
            for turn in shells.indices {
                let index = shells[(turn + phaseIndex) % shells.count]
                progress.say("SQL reference: \(phase.name) with \(engines[index].label)")
                try record(try shellRun(engines[index], script: phase.script), engine: index, phase: phaseIndex)
            }
            // The two in-process connections take turns line by line.
            progress.say("SQL reference: \(phase.name) with libsqlite3 and fieldvfs in process, in turns")
            let plain = try SQLiteScriptRunner(
                database: engines[plainIndex].databaseURL, key: nil, journalPragmas: journalPragmas)
            let encrypted = try SQLiteScriptRunner(
                database: engines[vfsIndex].databaseURL, key: vfsKey, journalPragmas: journalPragmas)
            for runner in [plain, encrypted] { try runner.execute(Self.warmUp) }
            let times = try SQLiteScriptRunner.timeLines(of: phase.script, on: plain, and: encrypted)
            try record(times.first, engine: plainIndex, phase: phaseIndex)
            try record(times.second, engine: vfsIndex, phase: phaseIndex)
        }
        for (index, engine) in engines.enumerated() {
            figures[index].databaseBytes =
                Self.fileBytes(engine.databaseURL.path)
                + Self.fileBytes(engine.databaseURL.path + "-wal")
            results.figures.append((engine, figures[index]))
        }
        results.unlockSeconds = try unlock(sqlcipher)
        return results
    }

    private func makeEngines(sqlcipher: URL, sqlite3: URL?, results: inout SQLCipherResults) -> [ReferenceEngine] {
        func database(_ name: String) -> URL { directory.appendingPathComponent(name) }
        var engines: [ReferenceEngine] = []
        if let sqlite3, let version = try? Self.version(of: sqlite3) {
            results.sqlite3Version = version
            engines.append(
                ReferenceEngine(
                    key: ReferenceEngine.sqlite3, label: "sqlite3 \(version) shell",
                    runner: .shell(executable: sqlite3, keyPragmas: ""), databaseURL: database("sqlite3.db")))
        }
        let cipher = "sqlcipher \(results.sqlcipherVersion) shell"
        engines.append(
            ReferenceEngine(
                key: ReferenceEngine.sqlcipherPlain, label: "\(cipher), no key",
                runner: .shell(executable: sqlcipher, keyPragmas: ""), databaseURL: database("sqlcipher-plain.db")))
        engines.append(
            ReferenceEngine(
                key: ReferenceEngine.sqlcipherKeyed, label: "\(cipher), keyed",
                // cipher_page_size: SQLCipher 3 defaults to 1 KiB pages; LocalStore and the others use 4 KiB.
                runner: .shell(
                    executable: sqlcipher,
                    keyPragmas: "PRAGMA key = \"x'\(Self.rawKey)'\";\nPRAGMA cipher_page_size = 4096;\n"),
                databaseURL: database("sqlcipher-keyed.db")))
        engines.append(
            ReferenceEngine(
                key: ReferenceEngine.libsqlite3, label: "libsqlite3 \(results.librarySQLiteVersion) in process",
                runner: .inProcess(encrypted: false), databaseURL: database("libsqlite3.db")))
        engines.append(
            ReferenceEngine(
                key: ReferenceEngine.fieldvfs, label: "libsqlite3 + fieldvfs in process",
                runner: .inProcess(encrypted: true), databaseURL: database("fieldvfs.db")))
        return engines
    }

    private var journalPragmas: String {
        switch options.journalMode {
        case .wal: return "PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\nPRAGMA temp_store = MEMORY;\n"
        case .rollback:
            return "PRAGMA journal_mode = DELETE;\nPRAGMA synchronous = FULL;\nPRAGMA temp_store = MEMORY;\n"
        }
    }

    /// Read before timing starts: the schema (and, keyed, the first page; the raw key needs no derivation).
    private static let warmUp = "SELECT count(*) FROM note;\n"

    /// Runs one workload script in a fresh shell and returns the seconds of each timed line.
    private func shellRun(_ engine: ReferenceEngine, script: URL) throws -> [Double] {
        guard case .shell(let executable, let keyPragmas) = engine.runner else { return [] }
        let output = try shell(
            executable, database: engine.databaseURL.path,
            driver: ".output /dev/null\n\(keyPragmas)\(journalPragmas)\(Self.warmUp)"
                + ".timer on\n.read '\(script.path)'\n")
        return Self.timerValues(output)
    }

    /// The keyed database must not be plain SQLite, and the others must be: otherwise the ratio measures nothing.
    private func checkEncryption(of engine: ReferenceEngine) throws {
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
        progress.say("SQL reference: SQLCipher unlock with a passphrase (PBKDF2)")
        let database = directory.appendingPathComponent("sqlcipher-kdf.db").path
        let key = "PRAGMA key = 'bench-store passphrase';\n"
        _ = try shell(sqlcipher, database: database, driver: key + "CREATE TABLE t (x);\nINSERT INTO t VALUES (1);\n")
        var samples = LatencySamples()
        for _ in 0..<Self.unlockRuns {
            let output = try shell(
                sqlcipher, database: database,
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
        let result = try ProcessRunner().run(executable, ["-version"], timeout: 60)
        return result.stdout.split(separator: " ").first.map(String.init) ?? "unknown"
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
