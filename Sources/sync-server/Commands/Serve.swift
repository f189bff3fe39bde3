import ArgumentParser
import Foundation
import SyncProtocol
import SyncServer

/// `sync-server serve`: runs the HTTP(S) sync API until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the sync server until SIGTERM or SIGINT.",
        discussion: """
            When the server accepts connections it prints one line to standard output: \
            'sync-server listening on http[s]://HOST:PORT' (with the real port when --listen asks for port 0). \
            Logs go to standard error. On SIGTERM or SIGINT it stops accepting connections, lets requests \
            in flight finish (a push is one transaction: it commits or rolls back) and exits. \
            While it runs it ends accesses that came due (every ten minutes) and applies the teams' saved \
            retention rules and compacts stable records (both daily; see 'admin retention', 'admin compact').
            """
    )

    @OptionGroup var storage: StorageOptions

    @Option(
        help: ArgumentHelp(
            "Address to listen on; port 0 picks a free port [env: FIELDSYNC_LISTEN; default: 127.0.0.1:8080]",
            valueName: "host:port"))
    var listen: String?

    @Option(
        name: .customLong("tls-cert"),
        help: ArgumentHelp("PEM certificate chain for HTTPS [env: FIELDSYNC_TLS_CERT]", valueName: "file"))
    var tlsCertificate: String?

    @Option(
        name: .customLong("tls-key"),
        help: ArgumentHelp("PEM private key for HTTPS [env: FIELDSYNC_TLS_KEY]", valueName: "file"))
    var tlsKey: String?

    @Option(
        name: .customLong("max-body-bytes"),
        help: "Largest request body [env: FIELDSYNC_MAX_BODY_BYTES; default: 8388608]")
    var maxBodyBytes: Int?

    @Option(
        name: .customLong("max-batch-records"),
        help: "Most records per push [env: FIELDSYNC_MAX_BATCH_RECORDS; default: 500]")
    var maxBatchRecords: Int?

    @Option(
        name: .customLong("rate-burst"),
        help: "Requests a device may make at once [env: FIELDSYNC_RATE_BURST; default: 120]")
    var rateBurst: Double?

    @Option(
        name: .customLong("rate-per-second"),
        help: "Sustained requests per second per device [env: FIELDSYNC_RATE_PER_SECOND; default: 30]")
    var ratePerSecond: Double?

    @Option(
        name: .customLong("anonymous-rate-burst"),
        help: ArgumentHelp(
            "Unauthenticated requests (enrolment) one address may make at once "
                + "[env: FIELDSYNC_ANONYMOUS_RATE_BURST; default: 20]"))
    var anonymousRateBurst: Double?

    @Option(
        name: .customLong("anonymous-rate-per-second"),
        help: ArgumentHelp(
            "Sustained unauthenticated requests per second per address "
                + "[env: FIELDSYNC_ANONYMOUS_RATE_PER_SECOND; default: 1]"))
    var anonymousRatePerSecond: Double?

    @Option(
        name: .customLong("body-read-timeout"),
        help: ArgumentHelp(
            "Seconds a request body may take to arrive before 408 request_timeout "
                + "[env: FIELDSYNC_BODY_READ_TIMEOUT; default: 30]",
            valueName: "seconds"))
    var bodyReadTimeout: Int?

    func run() async throws {
        let logger = try storage.makeLogger(label: "fieldsync.server")
        var configuration = ServerConfiguration()
        let address = try ListenAddress(parsing: listen ?? Environment.value("FIELDSYNC_LISTEN") ?? "127.0.0.1:8080")
        configuration.host = address.host
        configuration.port = address.port

        let certificate = tlsCertificate ?? Environment.value("FIELDSYNC_TLS_CERT")
        let key = tlsKey ?? Environment.value("FIELDSYNC_TLS_KEY")
        switch (certificate, key) {
        case (let certificate?, let key?):
            configuration.tls = .init(certificatePath: certificate, privateKeyPath: key)
        case (nil, nil):
            break
        default:
            throw ValidationError("--tls-cert and --tls-key go together")
        }

        var limits = configuration.limits
        if let value = maxBodyBytes ?? Environment.value("FIELDSYNC_MAX_BODY_BYTES").flatMap(Int.init) {
            guard value >= 1_024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
            limits.maxBodyBytes = value
        }
        if let value = maxBatchRecords ?? Environment.value("FIELDSYNC_MAX_BATCH_RECORDS").flatMap(Int.init) {
            guard (1...WireLimits.maxRecordsPerMessage).contains(value) else {
                throw ValidationError("--max-batch-records must be between 1 and \(WireLimits.maxRecordsPerMessage)")
            }
            limits.maxBatchRecords = value
        }
        configuration.limits = limits
        if let seconds = bodyReadTimeout ?? Environment.value("FIELDSYNC_BODY_READ_TIMEOUT").flatMap(Int.init) {
            guard (1...3_600).contains(seconds) else {
                throw ValidationError("--body-read-timeout must be between 1 and 3600 seconds")
            }
            configuration.bodyReadTimeout = .seconds(seconds)
        }
        if let burst = rateBurst ?? Environment.value("FIELDSYNC_RATE_BURST").flatMap(Double.init) {
            configuration.deviceRateLimit.burst = burst
        }
        if let rate = ratePerSecond ?? Environment.value("FIELDSYNC_RATE_PER_SECOND").flatMap(Double.init) {
            configuration.deviceRateLimit.perSecond = rate
        }
        // Raised by load benchmarks, whose hundreds of devices all enrol from one loopback address.
        if let burst = anonymousRateBurst ?? Environment.value("FIELDSYNC_ANONYMOUS_RATE_BURST").flatMap(Double.init) {
            configuration.anonymousRateLimit.burst = burst
        }
        if let rate =
            anonymousRatePerSecond ?? Environment.value("FIELDSYNC_ANONYMOUS_RATE_PER_SECOND").flatMap(Double.init)
        {
            configuration.anonymousRateLimit.perSecond = rate
        }

        let location = try storage.location()
        let databaseKey = try storage.encryptionKey()
        logger.info(
            "opening storage",
            metadata: ["database": "\(location)", "encrypted": "\(databaseKey == nil ? "no" : "yes")"])
        // Held until the process exits: `admin restore` refuses while it is held, and so does a second server.
        var lock: DatabaseLock?
        if case .sqlite(let path) = location { lock = try DatabaseLock.acquire(forDatabaseAt: path) }
        defer { lock?.release() }
        let backend = try location.open(encryptionKey: databaseKey, logger: logger)
        let scheme = configuration.tls == nil ? "http" : "https"
        let app = try SyncServerApplication.make(storage: backend, configuration: configuration, logger: logger) {
            address in
            // The one line scripts and tests wait for; flushed so a pipe sees it at once.
            let line = "sync-server listening on \(scheme)://\(address)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        try await app.runService()
        logger.info("stopped")
    }
}

/// `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all interfaces).
struct ListenAddress {
    var host: String
    var port: Int

    init(parsing text: String) throws {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[close...].dropFirst().drop(while: { $0 == ":" })
        } else if let colon = text.lastIndex(of: ":") {
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        } else {
            throw ValidationError("--listen expects HOST:PORT, got '\(text)'")
        }
        guard let port = Int(portPart), (0...65_535).contains(port) else {
            throw ValidationError("--listen: '\(portPart)' is not a port number")
        }
        self.host = hostPart.isEmpty ? "0.0.0.0" : String(hostPart)
        self.port = port
    }
}
