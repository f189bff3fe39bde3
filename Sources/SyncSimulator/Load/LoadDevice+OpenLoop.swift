import Foundation
import SyncProtocol

/// How a device of the open loop syncs: every `intervalSeconds` (jittered), a note before every `writeEvery`-th
/// sync, whatever the server's answers take.
public struct OpenLoopPlan: Sendable, Codable, Hashable {
    /// The mean time between two syncs of one device, in seconds.
    public var intervalSeconds: Double
    /// Each gap is the interval times a uniform draw in `1 ± jitter` (0.2: 48 to 72 s for 60 s).
    public var jitter: Double
    /// A device writes a note before one sync in this many (at a seeded offset of its own).
    public var writeEvery: Int

    /// Creates a plan.
    public init(intervalSeconds: Double, jitter: Double = 0.2, writeEvery: Int = 3) {
        self.intervalSeconds = intervalSeconds
        self.jitter = min(max(jitter, 0), 1)
        self.writeEvery = max(1, writeEvery)
    }
}

extension LoadDevice {
    /// Syncs on a schedule of its own from `start` until `end`: the first sync at a random phase within one
    /// interval (so N devices arrive evenly from the first second), then every jittered interval.
    ///
    /// Open loop: the schedule does not wait for the server. A sync that starts late because the previous one
    /// is still running is timed from when it was due (its first request, through ``ScheduledStart``, and the
    /// whole sync in `syncs`). Each sync opens a new connection and closes it after (see
    /// ``ReconnectingTransport``). Stops early, counting a failed sync, when the task is cancelled.
    func runOpenLoop(
        _ plan: OpenLoopPlan, from start: ContinuousClock.Instant, until end: ContinuousClock.Instant,
        random seeded: SimulationRandom, syncs: LatencyRecorder
    ) async -> Totals {
        var random = seeded
        var totals = Totals()
        var due = start.advanced(by: .seconds(random.unit() * plan.intervalSeconds))
        let writeOffset = random.int(0..<plan.writeEvery)
        var count = 0
        while due < end {
            // The adviser writes while the device waits for its sync, so the local write is not in the timing.
            if count % plan.writeEvery == writeOffset {
                let line = NoteText.line(index * 1_000_000 + count, random: &random)
                if (try? await writeNote(line, random: &random)) != nil { totals.writes += 1 }
            }
            do {
                try await Task.sleep(until: due, clock: .continuous)
            } catch {
                totals.failedSyncs += 1
                break
            }
            scheduledStart.set(due)
            let succeeded = await syncOnce(counting: &totals)
            // A sync that sent nothing leaves the instant behind; the next one sets its own.
            _ = scheduledStart.take()
            syncs.add("sync", due.duration(to: .now), succeeded: succeeded)
            await transport.disconnect()
            if Task.isCancelled { break }
            count += 1
            due = due.advanced(by: .seconds(plan.intervalSeconds * (1 + plan.jitter * (2 * random.unit() - 1))))
        }
        return totals
    }
}
