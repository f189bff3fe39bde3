import SyncProtocol

extension Simulation {
    func makeReport(oracle: Oracle, converged: Bool, wallTime: Duration) async -> SimulationReport {
        let records = oracle.serverRecords.count
        let conflicted = oracle.serverRecords.values.count(where: \.isInConflict)
        let purged = oracle.serverRecords.values.count(where: \.isPurged)
        let seconds = Double(wallTime.components.seconds) + Double(wallTime.components.attoseconds) / 1e18
        let report = SimulationReport(
            seed: options.seed, devices: roster.adviserDeviceCount, consoles: roster.teams.count,
            teams: roster.teams.count, storeKind: options.storeKind, faults: options.faultsName,
            merge: options.merge.name, operationsPerDevice: options.operationsPerDevice, stats: stats,
            records: records, conflictedRecords: conflicted, purgedRecords: purged, converged: converged,
            virtualMilliseconds: now, wallSeconds: seconds, events: log.count, eventHash: log.hashText,
            failures: oracle.failures, failureCount: oracle.failureCount, replayCommand: options.replayCommand,
            recentEvents: oracle.failureCount > 0 || !converged ? log.recentLines : [])
        if !report.passed {
            options.logger.debug(
                "simulation failed", metadata: ["seed": "\(options.seed)", "replay": "\(options.replayCommand)"])
        }
        return report
    }
}
