import Foundation

/// Counters of a run.
public struct SimulationStats: Sendable, Codable, Hashable {
    /// Local operations done, by kind (setup caseloads included as `add-subject`).
    public var operations: [String: Int] = [:]
    /// Operations chosen that found nothing to do (the note was deleted meanwhile, nothing to resolve).
    public var operationsSkipped = 0
    /// Syncs started, completed, failed (after the engine's retries) and killed mid-way.
    public var syncsStarted = 0
    public var syncsCompleted = 0
    public var syncsFailed = 0
    public var syncsKilled = 0
    /// Requests sent by devices, and what the network did to them.
    public var requests = 0
    public var requestsLost = 0
    public var responsesLost = 0
    public var duplicates = 0
    public var timeouts = 0
    public var unreachable = 0
    public var staleAnswers = 0
    /// Requests the server handled (duplicates included) and storage errors injected there.
    public var serverRequests = 0
    public var storageErrors = 0
    /// Bytes of JSON bodies sent and answered (0 when messages are not encoded).
    public var requestBytes = 0
    public var responseBytes = 0
    /// Records pushed (acknowledged) and pulled, summed over syncs.
    public var recordsPushed = 0
    public var recordsPulled = 0
    /// Faults injected.
    public var offlinePeriods = 0
    public var partitions = 0
    public var serverRestarts = 0
    public var kills = 0
    /// Rounds of syncing every device at quiescence.
    public var quiescenceRounds = 0
    /// Version 2: accesses the server ended on their day, and changes kept aside on devices when their team's
    /// access ended first.
    public var accessEnded = 0
    public var setAside = 0
    /// Records devices dropped because their team stopped reading them.
    public var recordsRemoved = 0

    /// Every local operation done.
    public var operationCount: Int { operations.values.reduce(0, +) }
}

/// The outcome of a run: what happened, what the oracle found, and how to replay it.
public struct SimulationReport: Sendable, Codable {
    /// The run's seed.
    public var seed: UInt64
    /// Adviser devices, consoles and teams.
    public var devices: Int
    public var consoles: Int
    public var teams: Int
    /// The store kind and fault profile.
    public var storeKind: StoreKind
    public var faults: String
    public var merge: String
    /// Operations per adviser device asked for.
    public var operationsPerDevice: Int
    /// Counters.
    public var stats: SimulationStats
    /// Records on the server at the end, and those in conflict (for a person to settle).
    public var records: Int
    public var conflictedRecords: Int
    /// Purged records at the end.
    public var purgedRecords: Int
    /// Whether every device stopped moving within the allowed rounds.
    public var converged: Bool
    /// Virtual time of the run (milliseconds) and wall time (seconds).
    public var virtualMilliseconds: Int64
    public var wallSeconds: Double
    /// Events processed and the hash of the event log (equal for equal seeds).
    public var events: Int
    public var eventHash: String
    /// What the oracle found wrong (at most 50 listed) and how many in total.
    public var failures: [OracleFailure]
    public var failureCount: Int
    /// The command that replays this run.
    public var replayCommand: String
    /// The last events before the end, kept when the run failed.
    public var recentEvents: [String]

    /// Whether the oracle found nothing wrong.
    public var passed: Bool { failureCount == 0 && converged }

    /// A few lines for people.
    public var summary: String {
        let hours = Double(virtualMilliseconds) / 3_600_000
        let messages = stats.requests
        let kilobytes = Double(stats.requestBytes + stats.responseBytes) / 1024
        var lines = [
            "seed \(seed): \(devices) devices (+\(consoles) consoles) in \(teams) teams, \(storeKind.rawValue) stores, "
                + "faults \(faults), merge \(merge)",
            "operations \(stats.operationCount) (skipped \(stats.operationsSkipped)); records \(records), "
                + "in conflict \(conflictedRecords), purged \(purgedRecords)",
            "syncs \(stats.syncsStarted) (completed \(stats.syncsCompleted), failed \(stats.syncsFailed), "
                + "killed \(stats.syncsKilled)); quiescence rounds \(stats.quiescenceRounds)",
            "messages \(messages) (lost \(stats.requestsLost)+\(stats.responsesLost), duplicated \(stats.duplicates), "
                + "timeouts \(stats.timeouts), unreachable \(stats.unreachable), "
                + "storage errors \(stats.storageErrors)); " + String(format: "%.1f KiB", kilobytes),
            "faults: offline \(stats.offlinePeriods), partitions \(stats.partitions), "
                + "server restarts \(stats.serverRestarts), kills \(stats.kills)",
            "scopes: records removed from devices \(stats.recordsRemoved), changes kept aside \(stats.setAside), "
                + "accesses ended by the server \(stats.accessEnded)",
            String(format: "virtual time %.1f h, wall time %.2f s, %d events, hash ", hours, wallSeconds, events)
                + eventHash,
        ]
        if passed {
            lines.append("oracle: converged, nothing lost, no conflict invented or hidden, purges complete")
        } else {
            lines.append("oracle: \(failureCount) failure(s)\(converged ? "" : ", did not converge")")
            for failure in failures.prefix(10) { lines.append("  - \(failure)") }
            lines.append("replay: \(replayCommand)")
        }
        return lines.joined(separator: "\n")
    }
}

/// One thing the oracle found wrong.
public struct OracleFailure: Sendable, Codable, Hashable, CustomStringConvertible {
    /// The kind of failure: `divergence`, `lost-write`, `invented-write`, `invented-conflict`,
    /// `hidden-conflict`, `purge`, `not-quiescent`, `unsynced`, `projection`, `join`, `store`.
    public var kind: String
    /// What exactly, naming the device, record and dots.
    public var detail: String

    public var description: String { "\(kind): \(detail)" }
}
