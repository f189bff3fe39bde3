import ArgumentParser
import FieldsyncVersion
import Foundation
import LocalStore
import Logging
import SyncClient
import SyncProtocol

#if canImport(Glibc)
import Glibc
#endif

/// Builds the HTTP transport for a server, trusting an extra CA certificate if one is given.
func makeTransport(serverURL: String, token: String?, caCertificate: String?) throws -> HTTPSyncTransport {
    var pem: String?
    if let caCertificate {
        guard let data = FileManager.default.contents(atPath: caCertificate) else {
            throw CLIError("cannot read the CA certificate \(caCertificate)", status: .usage)
        }
        pem = String(decoding: data, as: UTF8.self)
    }
    var logger = Logger(label: "fieldcli.sync")
    logger.logLevel = .error
    return try HTTPSyncTransport(
        configuration: SyncClientConfiguration(
            baseURL: serverURL, token: token, trustedCertificatesPEM: pem, requestTimeout: .seconds(30),
            userAgent: "fieldcli/\(FieldsyncVersion.number)"),
        logger: logger)
}

/// A one-line explanation of a failed sync, and the reassurance that nothing was lost.
func syncFailure(_ error: any Error, server: String, queued: Int?) -> CLIError {
    let reason: String
    let transport =
        (error as? SyncError).flatMap { syncError -> SyncTransportError? in
            if case .transport(let transport as SyncTransportError) = syncError.reason { return transport }
            return nil
        } ?? error as? SyncTransportError
    if let transport {
        switch transport.kind {
        case .cannotConnect: reason = Text.cannotReach(server, transport.message)
        case .unreachable, .timedOut: reason = Text.connectionFailed(server)
        case .server(let status, let body):
            reason =
                status == 401
                ? Text.deviceNotAccepted
                : Text.serverRefused(
                    body.message, code: body.code.rawValue,
                    shareHint: body.code == .forbiddenScope || body.code == .consentRequired)
        case .invalidResponse: reason = Text.answerNotUnderstood(transport.message)
        case .invalidRequest: reason = transport.message
        }
    } else if let syncError = error as? SyncError, case .teamAccessEnded(let team) = syncError.reason {
        // Not a failure to retry: the adviser left the team, and the team's records left this device.
        let removed = syncError.partial.removed
        let aside = syncError.partial.setAside
        return CLIError(Text.noLongerMember(team, removed: removed, aside: aside), status: .syncFailed)
    } else if let syncError = error as? SyncError, case .replicaRolledBack = syncError.reason {
        // The server holds later changes from this device than the store does: the store was put back from an
        // older copy. Pushing on would overwrite those changes, so the server refuses; nothing is lost either way.
        reason = Text.storeRolledBack
    } else if let syncError = error as? SyncError {
        reason = syncError.description
    } else {
        return CLIError.from(error)
    }
    return CLIError(Text.syncFailed(reason, queued: queued), status: .syncFailed)
}

struct Enroll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enrol this device with your team's sync server, using a one-time code from an administrator.",
        discussion: """
            The device token the server returns is kept inside the encrypted store.

            Enrolling again (after the device was revoked, or to replace its enrolment) keeps every note on the
            device: the changes not yet synced are sent under the new enrolment, and the old one stops working.
            On a terminal you are asked first; --yes skips the question.
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "The server's URL, e.g. https://sync.example.org:8443.") var server: String
    @Option(help: "The one-time enrolment code.") var code: String
    @Option(help: "The team to sync with, if your adviser belongs to several.") var team: String?
    @Option(help: "A PEM CA certificate to trust for this server (for self-signed servers).") var caCert: String?
    @Flag(name: [.short, .long], help: "Replace an existing enrolment without asking.") var yes = false

    func validate() throws {
        guard server.hasPrefix("http://") || server.hasPrefix("https://") else {
            throw ValidationError("--server must start with http:// or https://")
        }
    }

    func run() async throws {
        let store = try storeOptions.open()
        defer { store.close() }
        let previous = try store.enrolment()
        // The same server: a re-enrolment, which proves with the old token that this store's replica ids are
        // its own and moves to a fresh one (README §4.1). Another server never saw this store's replica id.
        let sameServer = previous.map { Self.sameServer($0.enrolment.serverURL, server) } ?? false
        if let previous {
            let queued = try store.outboxCount()
            try confirmReplacing(previous.enrolment, queued: queued)
        }
        var replica = sameServer ? ReplicaID.random() : store.replicaID
        var reenrolling = sameServer
        let caPath = caCert.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let transport = try makeTransport(serverURL: server, token: nil, caCertificate: caPath)
        var response: EnrollResponse
        do {
            do {
                response = try await transport.enroll(
                    EnrollRequest(
                        code: code, deviceName: store.deviceName, replica: replica,
                        previousToken: reenrolling ? previous?.token : nil))
            } catch let error as SyncTransportError where error.body?.code == .invalidPreviousToken {
                // The server does not know the old enrolment (its database was replaced): enrol as a first
                // enrolment with the replica id this store writes with (the code was not used up).
                replica = store.replicaID
                reenrolling = false
                response = try await transport.enroll(
                    EnrollRequest(code: code, deviceName: store.deviceName, replica: replica))
            }
        } catch {
            try? await transport.shutdown()
            throw Self.failure(error, server: server)
        }
        try? await transport.shutdown()
        guard response.replica == replica else {
            throw CLIError("the server assigned another replica id; this server is not compatible", status: .syncFailed)
        }
        let chosen: String
        if let team {
            guard response.teams.contains(team) else {
                throw CLIError(
                    "your adviser is not in team '\(team)' (teams: \(response.teams.joined(separator: ", ")))")
            }
            chosen = team
        } else if let current = previous?.enrolment.team, sameServer, response.teams.contains(current) {
            chosen = current
        } else if let first = response.teams.first {
            chosen = first
        } else {
            throw CLIError("the server lists no team for your adviser", status: .syncFailed)
        }
        let enrolment = Enrolment(
            serverURL: server, deviceID: response.deviceID, team: chosen, trustedCertificatePath: caPath)
        if reenrolling {
            try store.reenrol(as: replica, enrolment: enrolment, token: response.token)
            let queued = try store.outboxCount()
            print(Text.enrolledAgain(response.deviceID, team: chosen, queued: queued))
        } else {
            try store.saveEnrolment(enrolment, token: response.token)
            print(Text.enrolled(response.deviceID, team: chosen))
        }
    }

    /// Asks before an existing enrolment is replaced (on a terminal), or requires `--yes`.
    private func confirmReplacing(_ current: Enrolment, queued: Int) throws {
        guard !yes else { return }
        guard let terminal = Terminal.open() else {
            throw CLIError(Text.alreadyEnrolledNeedsYes(current.deviceID), status: .usage)
        }
        defer { terminal.close() }
        terminal.say(Text.enrolAgainQuestion(current.deviceID, server: current.serverURL, queued: queued))
        guard terminal.confirm(Text.enrolAgainPrompt) else {
            throw CLIError(Text.notEnrolledAgain, status: .usage)
        }
    }

    /// Whether two server URLs name the same server (case of scheme and host, and a trailing slash, aside).
    static func sameServer(_ a: String, _ b: String) -> Bool {
        func normal(_ url: String) -> String {
            var text = url.lowercased()
            while text.hasSuffix("/") { text.removeLast() }
            return text
        }
        return normal(a) == normal(b)
    }

    /// One line for a refused or failed enrolment.
    static func failure(_ error: any Error, server: String) -> CLIError {
        if let transportError = error as? SyncTransportError, let body = transportError.body {
            if body.code == .unknownField {
                return CLIError(Text.serverTooOldToReenrol, status: .syncFailed)
            }
            return CLIError(Text.enrolmentRefused(body.message), status: .syncFailed)
        }
        if let transportError = error as? SyncTransportError, transportError.kind == .cannotConnect {
            return CLIError(
                Text.enrolmentFailed(Text.cannotReach(server, transportError.message)), status: .syncFailed)
        }
        return CLIError(
            Text.enrolmentFailed((error as? SyncTransportError)?.message ?? "\(error)"), status: .syncFailed)
    }
}

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Push your changes, then pull your team's, merging as it goes.",
        discussion: """
            An interrupted sync resumes where it stopped: changes leave the outbox only once the server has them,
            and pulled pages are applied together with their cursor. Exits with code 8 when the server cannot be
            reached or refuses; nothing is lost.
            """
    )

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: JSONOption

    struct Report: Encodable {
        var sent: Int
        var received: Int
        var updated: Int
        var merged: Int
        var conflicts: Int
        var batches: Int
        var pages: Int
        var retries: Int
        var seconds: Double
        /// Records dropped because the team no longer reads them (access ended).
        var removed: Int
        /// Of those, records with unsynced changes, kept aside ('fieldcli status --set-aside').
        var setAside: Int
    }

    func run() async throws {
        let store = try storeOptions.open()
        defer { store.close() }
        guard let (enrolment, token) = try store.enrolment() else {
            throw CLIError(Text.notEnrolled, status: .usage)
        }
        let transport = try makeTransport(
            serverURL: enrolment.serverURL, token: token, caCertificate: enrolment.trustedCertificatePath)
        let engine = SyncEngine(
            storage: store, transport: transport,
            configuration: .init(
                team: enrolment.team, replica: store.replicaID,
                clientName: "fieldcli/\(FieldsyncVersion.number)"))
        let progressLine = ProgressLine()
        var summary: SyncSummary
        // Changes the server refused because the team's access ended after they were written here, kept aside.
        var refused = ApplyOutcome()
        let queuedAtStart = try store.syncStatus().unsyncedChanges
        while true {
            do {
                summary = try await engine.sync { progress in progressLine.show(progress) }
                break
            } catch {
                // The pull that would remove the record comes after the push, which the refusal stops: keep the
                // change aside and sync the rest, at most once per record queued at the start.
                if let key = Self.recordOutOfScope(error), refused.setAside < queuedAtStart,
                    let outcome = try store.setAsideRefusedChange(key)
                {
                    refused.removed += outcome.removed
                    refused.setAside += outcome.setAside
                    continue
                }
                progressLine.finish()
                try? await transport.shutdown()
                throw syncFailure(
                    error, server: enrolment.serverURL, queued: try? store.syncStatus().unsyncedChanges)
            }
        }
        summary.removed += refused.removed
        summary.setAside += refused.setAside
        progressLine.finish()
        await refreshTeamDirectory(store: store, transport: transport, team: enrolment.team)
        try? await transport.shutdown()
        let seconds =
            Double(summary.duration.components.seconds)
            + Double(summary.duration.components.attoseconds) / 1e18
        if output.json {
            try Output.json(
                Report(
                    sent: summary.sent, received: summary.received, updated: summary.updated, merged: summary.merged,
                    conflicts: summary.conflicts,
                    batches: summary.batches, pages: summary.pages, retries: summary.retries, seconds: seconds,
                    removed: summary.removed, setAside: summary.setAside))
        } else {
            // Own changes come back in the team's change sequence; say how many received records were news.
            print(
                Text.synced(
                    enrolment.serverURL, sent: summary.sent, received: summary.received, updated: summary.updated,
                    merged: summary.merged, conflicts: summary.conflicts))
            if summary.conflicts > 0 {
                print(Text.someNeedAPerson)
            }
            // A young person's course shared with the team no more, or handed over: gone from this device.
            if summary.removed > 0 {
                print(Text.removedAccessEnded(summary.removed, aside: summary.setAside))
            }
            // Two devices that each created the same young person offline meet here, after the pull.
            if let duplicates = try? store.duplicateSubjects().count, duplicates > 0 {
                print(Text.duplicateSubjectsAfterSync(duplicates))
            }
        }
    }
}

extension Sync {
    /// The record a push was refused for because this team no longer reads it (`403 forbidden_record` naming it).
    static func recordOutOfScope(_ error: any Error) -> RecordKey? {
        guard let body = (error as? SyncError)?.errorBody, body.code == .forbiddenRecord,
            let collection = body.details?.collection, let id = body.details?.id
        else { return nil }
        return RecordKey(collection: collection, id: id)
    }
}

/// Fetches and saves the team's directory, so 'fieldcli conflicts' can name who wrote each value.
///
/// The sync itself has succeeded by now: a failure here only costs names, so it is one warning on stderr.
func refreshTeamDirectory(store: LocalStore, transport: HTTPSyncTransport, team: String) async {
    do {
        try store.saveTeamDirectory(try await transport.devices(team: team))
    } catch {
        let reason = (error as? SyncTransportError)?.message ?? "\(error)"
        FileHandle.standardError.write(
            Data("warning: could not update the team's device names (\(reason)); conflicts show replica ids\n".utf8))
    }
}

/// Shows sync progress on stderr: one rewritten line on a terminal, a line per phase otherwise.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastPhase: SyncProgress.Phase?
    private var drewLine = false
    /// Records received when the last line was written (not on a terminal).
    private var receivedAtLastLine = 0
    /// Without a terminal, a long pull writes a line every this many records.
    private let pullLineEvery = 5_000

    func show(_ progress: SyncProgress) {
        lock.lock()
        defer { lock.unlock() }
        var text: String
        switch progress.phase {
        case .negotiating: text = "connecting"
        case .pushing:
            // On a terminal the line counts up; in a log the line is written once, as the push starts.
            text =
                isTerminal
                ? "pushing \(progress.recordsSent)/\(progress.pendingAtStart)"
                : "pushing \(progress.pendingAtStart) change(s)"
        case .pulling:
            text =
                isTerminal || progress.recordsReceived > 0
                ? "pulling: \(progress.recordsReceived) received" : "pulling"
        case .waitingToRetry: text = "waiting to retry"
        case .finished: text = "done"
        }
        if let retry = progress.retry {
            text += " (attempt \(retry.attempt), \(retry.reason))"
        }
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
            drewLine = true
        } else if progress.phase != lastPhase || progress.retry != nil
            || progress.recordsReceived - receivedAtLastLine >= pullLineEvery
        {
            FileHandle.standardError.write(Data(("sync: " + text + "\n").utf8))
            receivedAtLastLine = progress.recordsReceived
        }
        lastPhase = progress.phase
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drewLine { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drewLine = false
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show unsynced changes, the last successful sync, the server and open conflicts.",
        discussion: """
            Records your team stopped reading (access ended) while they held changes not synced yet are kept aside \
            in the store, never sent: 'fieldcli status --set-aside' lists them, with --json in full.
            """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: JSONOption
    @Flag(help: "List the records kept aside when access ended while they held unsynced changes.")
    var setAside = false

    func run() throws {
        if setAside {
            try showSetAside()
            return
        }
        let (status, duplicates, rolledBack) = try storeOptions.withStore { store in
            (try store.syncStatus(), try store.duplicateSubjects().count, try store.rolledBackReplica())
        }
        if output.json {
            try Output.json(status)
            return
        }
        if let unlocked = AgentClient.local()?.status(for: storeOptions.directory) {
            let idle = unlocked.idleUntil < unlocked.until ? DateParsing.display(unlocked.idleUntil) : nil
            print(Text.Status.unlockedUntil(DateParsing.display(unlocked.until), idleUntil: idle))
        } else {
            print(Text.Status.notUnlocked)
        }
        print(Text.Status.unsynced(status.unsyncedChanges))
        print(Text.Status.lastSync(status.lastSuccessfulSync.map { DateParsing.display($0) }))
        print(Text.Status.server(status.server))
        if let team = status.team { print(Text.Status.team(team)) }
        if let device = status.deviceID { print(Text.Status.device(device)) }
        print(Text.Status.replica(status.replica))
        if rolledBack != nil { print(Text.Status.rolledBack) }
        print(Text.Status.conflicts(status.conflicts))
        print(Text.Status.setAside(status.setAside))
        if duplicates > 0 { print(Text.Status.duplicates(duplicates)) }
    }

    /// The records kept aside: one line each, or every field with --json.
    private func showSetAside() throws {
        let records = try storeOptions.withStore { try $0.setAsideRecords() }
        if output.json {
            try Output.json(records)
        } else if records.isEmpty {
            print("Nothing kept aside.")
        } else {
            Output.table(
                ["SET ASIDE", "RECORD", "ID", "SUBJECT", "WHY", "TEXT"],
                records.map { record in
                    let subject =
                        record.collection == "subjects"
                        ? record.values["reference"] : record.values["subjectReference"]
                    let text = record.deleted ? "(deleted here)" : record.values["body"] ?? record.values["displayName"]
                    return [
                        DateParsing.display(record.setAsideAt), record.collection == "notes" ? "note" : "subject",
                        String(record.id.prefix(8)), subject ?? "-", record.reason,
                        Output.summary(text ?? "", width: 44),
                    ]
                })
            print(
                "Never sent: your team no longer reads these. 'fieldcli status --set-aside --json' shows them "
                    + "in full.")
        }
    }
}
