import Foundation

// bench-store: the encrypted store against plain SQLite on the same notes, and SQLCipher as a reference.
// Build and run in release mode: scripts/bench-store.sh. See docs/benchmarks.md for what each figure means.

let options: BenchOptions
do {
    options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch is HelpRequested {
    print(BenchOptions.usage)
    exit(0)
} catch {
    FileHandle.standardError.write(Data("bench-store: \(error)\n\(BenchOptions.usage)\n".utf8))
    exit(64)
}

let progress = ProgressLine()
let workDirectory = FileManager.default.temporaryDirectory
    .appendingPathComponent("bench-store-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
let started = Date()
// Ctrl-C or a kill must not leave a gigabyte of stores in the temp directory.
let signalSources = [SIGINT, SIGTERM].map { number in
    signal(number, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
    source.setEventHandler {
        try? FileManager.default.removeItem(at: workDirectory)
        FileHandle.standardError.write(Data("bench-store: interrupted; removed \(workDirectory.path)\n".utf8))
        exit(130)
    }
    source.resume()
    return source
}
do {
    try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
    defer {
        if options.keepFiles {
            progress.say("kept the stores and reference files in \(workDirectory.path)")
        } else {
            try? FileManager.default.removeItem(at: workDirectory)
        }
    }
    let storeResults = try StoreBenchmark(
        options: options, workDirectory: workDirectory.appendingPathComponent("stores"), progress: progress
    ).run()
    // The stores go before the reference starts, so the reference does not need room for both.
    if !options.keepFiles { try? FileManager.default.removeItem(at: workDirectory.appendingPathComponent("stores")) }
    let referenceDirectory = workDirectory.appendingPathComponent("sqlcipher")
    try FileManager.default.createDirectory(at: referenceDirectory, withIntermediateDirectories: true)
    let reference = SQLCipherReference(options: options, directory: referenceDirectory, progress: progress).run()
    let report = BenchReport(
        options: options, store: storeResults, reference: reference, date: started, machine: .current())
    let json = report.json.text
    print(report.table)
    print(json)
    if let path = options.jsonOut {
        try (json + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
    progress.say("done")
} catch {
    FileHandle.standardError.write(Data("bench-store: \(error)\n".utf8))
    try? FileManager.default.removeItem(at: workDirectory)
    exit(1)
}
