import Foundation

/// The targets: encrypted over plain, and an absolute bound on full-text search.
enum Targets {
    static let insertRatio = 1.25
    static let readRatio = 1.15
    static let searchP50Seconds = 0.020
}

/// Turns the measurements into the aligned table and the JSON line.
struct BenchReport {
    let options: BenchOptions
    let store: StoreResults
    let reference: ReferenceOutcome
    let date: Date
    let machine: MachineInfo

    // MARK: Derived figures

    private var bulkRates: (plain: Double, encrypted: Double) {
        let notes = Double(store.bulkNotes)
        return (notes / store.bulkInsert.plain.total, notes / store.bulkInsert.encrypted.total)
    }
    private var bulkRatio: Double { bulkRates.plain / bulkRates.encrypted }

    private static func p50Ratio(_ samples: PairedSamples) -> Double { samples.encrypted.p50 / samples.plain.p50 }
    private static func meanRatio(_ samples: PairedSamples) -> Double { samples.encrypted.mean / samples.plain.mean }

    private var checks: [(name: String, met: Bool)] {
        [
            ("bulk insert ≤ \(Targets.insertRatio)×", bulkRatio <= Targets.insertRatio),
            (
                "single insert p50 ≤ \(Targets.insertRatio)×",
                Self.p50Ratio(store.singleInsert) <= Targets.insertRatio
            ),
            ("point read p50 ≤ \(Targets.readRatio)×", Self.p50Ratio(store.pointRead) <= Targets.readRatio),
            ("list one subject p50 ≤ \(Targets.readRatio)×", Self.p50Ratio(store.subjectList) <= Targets.readRatio),
            ("FTS query p50 ≤ \(Targets.readRatio)×", Self.p50Ratio(store.search) <= Targets.readRatio),
            ("FTS query p50 ≤ 20 ms (encrypted)", store.search.encrypted.p50 <= Targets.searchP50Seconds),
        ]
    }

    // MARK: Table

    var table: String {
        var lines: [String] = []
        let kdf = options.kdf
        lines.append(
            "bench-store: \(Format.count(Double(store.bulkNotes))) notes of ~1 KB in "
                + "\(options.subjects) subjects, journal \(options.journalMode.rawValue), \(Self.isoDate(date))")
        lines.append("machine: \(machine.cpu), \(machine.cores) cores, \(machine.os)")
        lines.append("")
        var table = TextTable(header: ["operation", "figure", "plain", "encrypted", "ratio", "target", "met"])
        func yes(_ met: Bool) -> String { met ? "yes" : "NO" }
        let rates = bulkRates
        table.add([
            "bulk insert (\(options.batchSize)/tx)", "notes/s", Format.count(rates.plain),
            Format.count(rates.encrypted), Format.ratio(bulkRatio), "≤ \(Targets.insertRatio)×",
            yes(bulkRatio <= Targets.insertRatio),
        ])
        addLatencyRows(&table, "single insert (own tx)", store.singleInsert, target: Targets.insertRatio)
        table.add([
            "", "notes/s", Format.count(store.singleInsert.plain.perSecond),
            Format.count(store.singleInsert.encrypted.perSecond),
            Format.ratio(store.singleInsert.plain.perSecond / store.singleInsert.encrypted.perSecond), "", "",
        ])
        addLatencyRows(&table, "point read by id", store.pointRead, target: Targets.readRatio)
        addLatencyRows(
            &table, "list one subject (\(store.notesPerSubject))", store.subjectList,
            target: Targets.readRatio)
        addLatencyRows(
            &table, "FTS query (\(NoteTextGenerator.searchQueries.count) queries)", store.search,
            target: Targets.readRatio)
        table.add([
            "", "p50 ms, absolute", "", Format.milliseconds(store.search.encrypted.p50), "", "≤ 20 ms",
            yes(store.search.encrypted.p50 <= Targets.searchP50Seconds),
        ])
        table.add([
            "open / unlock", "p50 ms", Format.milliseconds(store.open.plain.p50),
            Format.milliseconds(store.open.encrypted.p50), "", "", "",
        ])
        table.add([
            "database size", "MiB", Format.mebibytes(store.databaseBytes.plain),
            Format.mebibytes(store.databaseBytes.encrypted),
            Format.ratio(Double(store.databaseBytes.encrypted) / Double(store.databaseBytes.plain)), "", "",
        ])
        lines.append(table.rendered)
        lines.append(
            "ratio = encrypted time / plain time (for notes/s: plain rate / encrypted rate); "
                + "unlock = open with scrypt N=2^\(kdf.log2N), r=\(kdf.r), p=\(kdf.p)")
        lines.append("")

        var queries = TextTable(
            header: ["FTS query", "hits", "plain p50 ms", "encrypted p50 ms", "ratio"],
            textColumns: 1)
        for query in NoteTextGenerator.searchQueries {
            guard let samples = store.searchByQuery[query] else { continue }
            queries.add([
                "\"\(query)\"", String(store.searchHits[query] ?? 0), Format.milliseconds(samples.plain.p50),
                Format.milliseconds(samples.encrypted.p50), Format.ratio(Self.p50Ratio(samples)),
            ])
        }
        lines.append(queries.rendered)
        lines.append("")
        lines.append(contentsOf: referenceLines)
        lines.append("")
        let failed = checks.filter { !$0.met }.map(\.name)
        lines.append(failed.isEmpty ? "all targets met" : "targets missed: " + failed.joined(separator: "; "))
        return lines.joined(separator: "\n")
    }

    private func addLatencyRows(_ table: inout TextTable, _ name: String, _ samples: PairedSamples, target: Double) {
        let ratio = Self.p50Ratio(samples)
        table.add([
            name, "p50 ms", Format.milliseconds(samples.plain.p50), Format.milliseconds(samples.encrypted.p50),
            Format.ratio(ratio), "≤ \(target)×", ratio <= target ? "yes" : "NO",
        ])
        table.add([
            "", "p99 ms", Format.milliseconds(samples.plain.p99), Format.milliseconds(samples.encrypted.p99),
            Format.ratio(samples.encrypted.p99 / samples.plain.p99), "", "",
        ])
    }

    /// The reference operations: a figure per engine, and whether it is a rate (higher is better).
    private typealias ReferenceOperation = (
        name: String, unit: String, value: @Sendable (ReferenceFigures) -> Double, isRate: Bool
    )
    private static let referenceOperations: [ReferenceOperation] = [
        ("bulk insert", "notes/s", { Double($0.bulkNotes) / $0.bulkSeconds }, true),
        ("single insert", "mean ms", { $0.singleSeconds / Double($0.singleNotes) }, false),
        ("point read", "mean ms", { $0.readSeconds / Double($0.reads) }, false),
        ("FTS4 query", "mean ms", { $0.searchSeconds / Double($0.searches) }, false),
    ]

    /// How much slower `slow` is than `fast` at each reference operation (time ratio; for rates, inverted).
    private static func referenceRatios(_ slow: ReferenceFigures, over fast: ReferenceFigures) -> [Double] {
        referenceOperations.map { operation in
            let (a, b) = (operation.value(slow), operation.value(fast))
            return operation.isRate ? b / a : a / b
        }
    }

    /// LocalStore's encrypted-over-plain ratios on the reference's statistics (rate, mean), in the same order.
    private var localStoreMeanRatios: [Double] {
        [bulkRatio, Self.meanRatio(store.singleInsert), Self.meanRatio(store.pointRead), Self.meanRatio(store.search)]
    }

    /// The named ratios of the reference section: SQLCipher's fair one first, then fieldvfs's, then LocalStore's.
    private func referenceRatioRows(_ results: SQLCipherResults) -> [(name: String, key: String, ratios: [Double])] {
        var rows: [(String, String, [Double])] = []
        let pairs = [
            (
                "sqlcipher keyed / no key", "sqlcipher_keyed_vs_no_key", ReferenceEngine.sqlcipherKeyed,
                ReferenceEngine.sqlcipherPlain
            ),
            (
                "sqlcipher keyed / sqlite3 shell", "sqlcipher_keyed_vs_sqlite3", ReferenceEngine.sqlcipherKeyed,
                ReferenceEngine.sqlite3
            ),
            (
                "fieldvfs / libsqlite3 in process", "fieldvfs_vs_libsqlite3", ReferenceEngine.fieldvfs,
                ReferenceEngine.libsqlite3
            ),
        ]
        for (name, key, slow, fast) in pairs {
            guard let slowFigures = results.figures(for: slow), let fastFigures = results.figures(for: fast) else {
                continue
            }
            rows.append((name, key, Self.referenceRatios(slowFigures, over: fastFigures)))
        }
        rows.append(("LocalStore encrypted / plain (above)", "localstore_encrypted_vs_plain", localStoreMeanRatios))
        return rows
    }

    private var referenceLines: [String] {
        switch reference {
        case .skipped(let reason): return ["SQL reference (SQLCipher): skipped (\(reason))"]
        case .failed(let reason): return ["SQL reference (SQLCipher): could not be measured (\(reason))"]
        case .measured(let results):
            var lines = [
                "SQL reference: the same notes as plain SQL (LocalStore's schema, FTS4), run by each engine; "
                    + "SQLCipher \(results.sqlcipherVersion) is built on SQLite \(results.sqlcipherSQLiteVersion)"
            ]
            var table = TextTable(
                header: ["engine"] + Self.referenceOperations.map { "\($0.name) \($0.unit)" } + ["MiB"],
                textColumns: 1)
            for (engine, figures) in results.figures {
                table.add(
                    [engine.label]
                        + Self.referenceOperations.map { operation in
                            let value = operation.value(figures)
                            return operation.isRate ? Format.count(value) : Format.milliseconds(value)
                        } + [Format.mebibytes(figures.databaseBytes)])
            }
            for row in referenceRatioRows(results) {
                table.add(["ratio " + row.name] + row.ratios.map(Format.ratio) + [""])
            }
            lines.append(table.rendered)
            if let unlock = results.unlockSeconds {
                lines.append(
                    "SQLCipher unlock (PBKDF2-HMAC-SHA1, its default 64,000 iterations): p50 "
                        + "\(Format.milliseconds(unlock)) ms; LocalStore encrypted open (scrypt N=2^\(options.kdf.log2N)): "
                        + "\(Format.milliseconds(store.open.encrypted.p50)) ms")
            }
            return lines
        }
    }

    // MARK: JSON

    var json: JSONValue {
        let kdf = options.kdf
        var members: [(String, JSONValue)] = [
            ("benchmark", .string("bench-store")),
            ("date", .string(Self.isoDate(date))),
            (
                "machine",
                .object([
                    ("cpu", .string(machine.cpu)), ("cores", .integer(Int64(machine.cores))),
                    ("os", .string(machine.os)),
                ])
            ),
            (
                "config",
                .object([
                    ("notes", .integer(Int64(store.bulkNotes))), ("subjects", .integer(Int64(options.subjects))),
                    ("batch", .integer(Int64(options.batchSize))), ("singles", .integer(Int64(options.singleInserts))),
                    ("reads", .integer(Int64(options.pointReads))), ("lists", .integer(Int64(options.subjectLists))),
                    ("searches", .integer(Int64(options.searches))), ("unlocks", .integer(Int64(options.unlocks))),
                    ("journal", .string(options.journalMode.rawValue)), ("seed", .integer(Int64(options.seed))),
                    ("kdf", .string("scrypt N=2^\(kdf.log2N) r=\(kdf.r) p=\(kdf.p)")),
                ])
            ),
        ]
        let rates = bulkRates
        members.append(
            (
                "bulk_insert",
                .object([
                    ("plain_notes_per_s", .rounded(rates.plain)), ("encrypted_notes_per_s", .rounded(rates.encrypted)),
                    ("ratio", .rounded(bulkRatio)), ("target_ratio", .number(Targets.insertRatio)),
                    ("met", .bool(bulkRatio <= Targets.insertRatio)),
                ])
            ))
        members.append(
            (
                "single_insert",
                latencyJSON(
                    store.singleInsert, target: Targets.insertRatio,
                    extra: [
                        ("plain_notes_per_s", .rounded(store.singleInsert.plain.perSecond)),
                        ("encrypted_notes_per_s", .rounded(store.singleInsert.encrypted.perSecond)),
                    ])
            ))
        members.append(("point_read", latencyJSON(store.pointRead, target: Targets.readRatio)))
        members.append(
            (
                "list_subject",
                latencyJSON(
                    store.subjectList, target: Targets.readRatio,
                    extra: [
                        ("notes_per_list", .integer(Int64(store.notesPerSubject)))
                    ])
            ))
        let queries: [JSONValue] = NoteTextGenerator.searchQueries.compactMap { query in
            guard let samples = store.searchByQuery[query] else { return nil }
            return .object([
                ("query", .string(query)), ("hits", .integer(Int64(store.searchHits[query] ?? 0))),
                ("plain_p50_ms", .milliseconds(samples.plain.p50)),
                ("encrypted_p50_ms", .milliseconds(samples.encrypted.p50)),
            ])
        }
        members.append(
            (
                "fts_query",
                latencyJSON(
                    store.search, target: Targets.readRatio,
                    extra: [
                        ("target_p50_ms", .milliseconds(Targets.searchP50Seconds)),
                        ("met_p50_ms", .bool(store.search.encrypted.p50 <= Targets.searchP50Seconds)),
                        ("queries", .array(queries)),
                    ])
            ))
        members.append(
            (
                "unlock",
                .object([
                    ("plain_open_p50_ms", .milliseconds(store.open.plain.p50)),
                    ("encrypted_open_p50_ms", .milliseconds(store.open.encrypted.p50)),
                    ("kdf", .string("scrypt N=2^\(kdf.log2N) r=\(kdf.r) p=\(kdf.p)")),
                ])
            ))
        members.append(
            (
                "database_bytes",
                .object([
                    ("plain", .integer(store.databaseBytes.plain)),
                    ("encrypted", .integer(store.databaseBytes.encrypted)),
                ])
            ))
        members.append(("sql_reference", referenceJSON))
        members.append(("targets_met", .bool(checks.allSatisfy(\.met))))
        return .object(members)
    }

    private func latencyJSON(
        _ samples: PairedSamples, target: Double, extra: [(String, JSONValue)] = []
    ) -> JSONValue {
        func side(_ latencies: LatencySamples) -> JSONValue {
            .object([
                ("p50_ms", .milliseconds(latencies.p50)), ("p99_ms", .milliseconds(latencies.p99)),
                ("mean_ms", .milliseconds(latencies.mean)), ("count", .integer(Int64(latencies.count))),
            ])
        }
        let ratio = Self.p50Ratio(samples)
        return .object(
            [
                ("plain", side(samples.plain)), ("encrypted", side(samples.encrypted)),
                ("ratio_p50", .rounded(ratio)), ("ratio_p99", .rounded(samples.encrypted.p99 / samples.plain.p99)),
                ("ratio_mean", .rounded(Self.meanRatio(samples))), ("target_ratio", .number(target)),
                ("met", .bool(ratio <= target)),
            ] + extra)
    }

    private var referenceJSON: JSONValue {
        switch reference {
        case .skipped(let reason): return .object([("status", .string("skipped")), ("reason", .string(reason))])
        case .failed(let reason): return .object([("status", .string("failed")), ("reason", .string(reason))])
        case .measured(let results):
            var engines: [(String, JSONValue)] = []
            for (engine, figures) in results.figures {
                engines.append(
                    (
                        engine.key,
                        .object([
                            ("label", .string(engine.label)),
                            ("bulk_notes_per_s", .rounded(Double(figures.bulkNotes) / figures.bulkSeconds)),
                            (
                                "single_insert_mean_ms",
                                .milliseconds(figures.singleSeconds / Double(figures.singleNotes))
                            ),
                            ("point_read_mean_ms", .milliseconds(figures.readSeconds / Double(figures.reads))),
                            ("fts_query_mean_ms", .milliseconds(figures.searchSeconds / Double(figures.searches))),
                            ("database_bytes", .integer(figures.databaseBytes)),
                        ])
                    ))
            }
            var members: [(String, JSONValue)] = [
                ("status", .string("measured")),
                ("sqlcipher_version", .string(results.sqlcipherVersion)),
                ("sqlcipher_sqlite_version", .string(results.sqlcipherSQLiteVersion)),
                ("sqlite3_version", results.sqlite3Version.map(JSONValue.string) ?? .null),
                ("libsqlite3_version", .string(results.librarySQLiteVersion)),
                ("engines", .object(engines)),
            ]
            var ratios: [(String, JSONValue)] = []
            for row in referenceRatioRows(results) {
                let names = ["bulk_insert", "single_insert", "point_read", "fts_query"]
                ratios.append((row.key, .object(zip(names, row.ratios).map { ($0, .rounded($1)) })))
            }
            members.append(("ratios", .object(ratios)))
            members.append(("unlock_pbkdf2_p50_ms", results.unlockSeconds.map(JSONValue.milliseconds) ?? .null))
            return .object(members)
        }
    }

    static func isoDate(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// What the figures were measured on.
struct MachineInfo {
    var cpu: String
    var cores: Int
    var os: String

    static func current() -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let cpu =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let release = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        let os =
            release.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
            .map { $0.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            ?? ProcessInfo.processInfo.operatingSystemVersionString
        return MachineInfo(cpu: cpu, cores: ProcessInfo.processInfo.activeProcessorCount, os: os)
    }
}
