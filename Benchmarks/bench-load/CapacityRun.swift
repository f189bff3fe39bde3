import Foundation
import SyncSimulator

/// One step of the capacity search: N devices open loop for the step's seconds, and what the server used.
struct CapacityStep: Sendable, Codable {
    var devices: Int
    var passed: Bool
    /// The window in which syncs were due; rates are over it.
    var seconds: Double
    /// Wall time of the step: the window and the syncs due in it that ended after it.
    var spanSeconds: Double
    var report: LoadReport
    var syncsPerSecond: Double
    var notesPerSecond: Double
    /// CPU time (user + system) of the sync-server process, and of PostgreSQL's processes, over the span.
    var serverCPUSeconds: Double?
    var postgresCPUSeconds: Double?
    /// How busy the whole machine was over the span (all cores, everything on the machine).
    var machineBusyShare: Double?
    var loadAverageAfter: [Double]

    /// Requests and syncs that failed, together.
    var errors: Int { report.failedRequests + report.failedSyncs }

    /// A process's CPU time over the span as a share of one core.
    func coreShare(_ seconds: Double?) -> Double? {
        guard let seconds, spanSeconds > 0 else { return nil }
        return seconds / spanSeconds
    }
}

/// What the capacity search found on one backend.
struct CapacityRun: Sendable, Codable {
    var backend: Backend
    /// The headline: the most devices of a passing step (`nil`: none passed).
    var highestDevices: Int?
    var steps: [CapacityStep]
    /// Whether every step passed up to `--max-devices`: the capacity is at least that, not found.
    var reachedMaximum: Bool
    /// Creating teams, advisers and codes in process, and enrolling the devices over HTTP, over all steps (not
    /// part of any step).
    var provisionSeconds: Double
    var enrolSeconds: Double
    var serverPeakMebibytes: Double?
    /// The server's exit status after SIGTERM (0: a graceful stop, -1: killed after 30 s).
    var serverExitStatus: Int32

    /// The passing step with the most devices.
    var best: CapacityStep? {
        steps.filter(\.passed).max { $0.devices < $1.devices }
    }

    /// Why this run counts as failed, if it does (a step that misses the target is an outcome, not a failure).
    var failure: String? {
        if serverExitStatus == -1 { return "\(backend.rawValue): sync-server did not stop on SIGTERM" }
        if best == nil { return "\(backend.rawValue): no step met the target, not even with the fewest devices" }
        return nil
    }
}
