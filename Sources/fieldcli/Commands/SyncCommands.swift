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
    let transport = (error as? SyncError).flatMap { syncError -> SyncTransportError? in
        if case .transport(let transport as SyncTransportError) = syncError.reason { return transport }
        return nil
    } ?? error as? SyncTransportError
    if let transport {
        switch transport.kind {
        case .cannotConnect: reason = "cannot reach \(server): \(transport.message)"
        case .unreachable, .timedOut: reason = "the connection to \(server) failed or timed out, even after retrying"
        case .server(let status, let body):
            reason = status == 401
                ? "the server no longer accepts this device (revoked or unknown): ask your administrator for a new "
                    + "enrolment code and run 'fieldcli enroll' again; it keeps every note on this device"
                : "the server refused: \(body.message) (\(body.code))"
                    + (body.code == .forbiddenScope || body.code == .consentRequired
                        ? " — undo the share ('fieldcli subject unshare SUBJECT --team TEAM') or ask your "
                            + "administrator to make the teams partners" : "")
        case .invalidResponse: reason = "the server's answer was not understood (\(transport.message))"
        }
    } else if let syncError = error as? SyncError, case .teamAccessEnded(let team) = syncError.reason {
        // Not a failure to retry: the adviser left the team, and the team's records left this device.
        let removed = syncError.partial.removed
        let aside = syncError.partial.setAside
        return CLIError(
            "you are no longer a member of team \(team): \(removed) record\(removed == 1 ? "" : "s") removed from "
                + "this device (access ended)"
                + (aside > 0 ? "; \(aside) with unsynced changes kept aside: see 'fieldcli status --set-aside'" : ""),
            status: .syncFailed)
    } else if let syncError = error as? SyncError, case .replicaRolledBack = syncError.reason {
        // The server holds later changes from this device than the store does: the store was put back from an
        // older copy. Pushing on would overwrite those changes, so the server refuses; nothing is lost either way.
        reason = "the server has later changes from this device than this store holds (was the store restored from "
            + "a backup or copied?); nothing was lost, but this store cannot sync as it is: keep it and ask your "
            + "administrator (continuing as a new device is not supported yet)"
    } else if let syncError = error as? SyncError {
        reason = syncError.description
    } else {
        return CLIError.from(error)
    }
    let kept = queued.map { $0 == 1 ? "your 1 change stays queued" : "your \($0) changes stay queued" }
        ?? "your changes stay queued"
    return CLIError("sync failed: \(reason); \(kept) for the next sync", status: .syncFailed)
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
                throw CLIError("your adviser is not in team '\(team)' (teams: \(response.teams.joined(separator: ", ")))")
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
            print(
                "Enrolled again as device \(response.deviceID) in team \(chosen); the previous enrolment no longer "
                    + "works. \(queued == 1 ? "1 unsynced change is" : "\(queued) unsynced changes are") kept and will "
                    + "be sent by 'fieldcli sync'.")
        } else {
            try store.saveEnrolment(enrolment, token: response.token)
            print("Enrolled as device \(response.deviceID) in team \(chosen). Run 'fieldcli sync' to sync.")
        }
    }

    /// Asks before an existing enrolment is replaced (on a terminal), or requires `--yes`.
    private func confirmReplacing(_ current: Enrolment, queued: Int) throws {
        guard !yes else { return }
        guard let terminal = Terminal.open() else {
            throw CLIError(
                "this store is already enrolled (device \(current.deviceID)); replacing the enrolment needs --yes "
                    + "when there is no terminal to ask on", status: .usage)
        }
        defer { terminal.close() }
        let kept = queued == 1 ? "its 1 unsynced change is" : "its \(queued) unsynced changes are"
        terminal.say(
            "This store is enrolled as device \(current.deviceID) with \(current.serverURL). Enrolling again keeps "
                + "every note on this device; \(kept) sent under the new enrolment.\n")
        guard terminal.confirm("Enrol again? [y/N] ") else {
            throw CLIError("not enrolled again; the current enrolment stays", status: .usage)
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
                return CLIError(
                    "enrolment refused: this server is too old to enrol a device again while keeping its unsynced "
                        + "changes; ask your administrator to update it", status: .syncFailed)
            }
            return CLIError("enrolment refused: \(body.message)", status: .syncFailed)
        }
        if let transportError = error as? SyncTransportError, transportError.kind == .cannotConnect {
            return CLIError("enrolment failed: cannot reach \(server): \(transportError.message)", status: .syncFailed)
        }
        return CLIError("enrolment failed: \((error as? SyncTransportError)?.message ?? "\(error)")", status: .syncFailed)
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
            throw CLIError("this device is not enrolled: run 'fieldcli enroll --server URL --code CODE'", status: .usage)
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
        let seconds = Double(summary.duration.components.seconds)
            + Double(summary.duration.components.attoseconds) / 1e18
        if output.json {
            try Output.json(Report(
                sent: summary.sent, received: summary.received, updated: summary.updated, merged: summary.merged,
                conflicts: summary.conflicts,
                batches: summary.batches, pages: summary.pages, retries: summary.retries, seconds: seconds,
                removed: summary.removed, setAside: summary.setAside))
        } else {
            // Own changes come back in the team's change sequence; say how many received records were news.
            print("Synced with \(enrolment.serverURL): sent \(summary.sent), received \(summary.received) "
                  + "(\(summary.updated) new or changed), merged \(summary.merged), conflicts \(summary.conflicts).")
            if summary.conflicts > 0 {
                print("Some changes need a person: see 'fieldcli conflicts'.")
            }
            // A young person's course shared with the team no more, or handed over: gone from this device.
            if summary.removed > 0 {
                let aside = summary.setAside > 0
                    ? " (\(summary.setAside) with unsynced changes kept aside: see 'fieldcli status')" : ""
                print("\(summary.removed) record\(summary.removed == 1 ? "" : "s") removed: access ended\(aside).")
            }
            // Two devices that each created the same young person offline meet here, after the pull.
            if let duplicates = try? store.duplicateSubjects().count, duplicates > 0 {
                print("\(duplicates) young \(duplicates == 1 ? "person has" : "people have") duplicate subjects: "
                      + "see 'fieldcli subject list', then 'fieldcli subject merge KEEP OTHER'.")
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
            text = isTerminal
                ? "pushing \(progress.recordsSent)/\(progress.pendingAtStart)"
                : "pushing \(progress.pendingAtStart) change(s)"
        case .pulling:
            text = isTerminal || progress.recordsReceived > 0
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
        let (status, duplicates) = try storeOptions.withStore { store in
            (try store.syncStatus(), try store.duplicateSubjects().count)
        }
        if output.json {
            try Output.json(status)
            return
        }
        if let unlocked = AgentClient.local()?.status(for: storeOptions.directory) {
            let idle = unlocked.idleUntil < unlocked.until
                ? ", or \(DateParsing.display(unlocked.idleUntil)) if unused" : ""
            print("Unlocked until    \(DateParsing.display(unlocked.until))\(idle)")
        } else {
            print("Unlocked          no ('fieldcli unlock' asks once for the day)")
        }
        print("Unsynced changes  \(status.unsyncedChanges)")
        print("Last sync         \(status.lastSuccessfulSync.map { DateParsing.display($0) } ?? "never")")
        print("Server            \(status.server ?? "not enrolled")")
        if let team = status.team { print("Team              \(team)") }
        if let device = status.deviceID { print("Device            \(device)") }
        print("Replica           \(status.replica)")
        print("Conflicts         \(status.conflicts)\(status.conflicts > 0 ? " (see 'fieldcli conflicts')" : "")")
        print("Set aside         \(status.setAside)"
              + (status.setAside > 0 ? " (access ended before they synced; see 'fieldcli status --set-aside')" : ""))
        if duplicates > 0 {
            print("Duplicates        \(duplicates) young \(duplicates == 1 ? "person has" : "people have") duplicate "
                  + "subjects (see 'fieldcli subject list', then 'fieldcli subject merge KEEP OTHER')")
        }
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
                    let subject = record.collection == "subjects"
                        ? record.values["reference"] : record.values["subjectReference"]
                    let text = record.deleted ? "(deleted here)" : record.values["body"] ?? record.values["displayName"]
                    return [DateParsing.display(record.setAsideAt), record.collection == "notes" ? "note" : "subject",
                            String(record.id.prefix(8)), subject ?? "-", record.reason,
                            Output.summary(text ?? "", width: 44)]
                })
            print("Never sent: your team no longer reads these. 'fieldcli status --set-aside --json' shows them "
                  + "in full.")
        }
    }
}
