extension SyncEngine {
    /// A store rolled back under an earlier replica id that has enrolled again (``ReplicaStorage/recordsToContinue()``)
    /// continues as its new replica before it pushes (README §11.3): the engine reads the server's state of each
    /// such record from the team's whole feed, without applying anything, and the store re-makes its own
    /// operations against them. Reading the whole feed is what a first sync costs; it happens once per restore.
    func continueAfterRollback(_ run: inout Run) async throws(SyncError) {
        let keys = try await store(&run) { try await self.storage.recordsToContinue() }
        guard !keys.isEmpty else { return }
        run.phase = .pulling
        await run.report()
        let serverMax = negotiated?.server.limits.maxPageRecords
        let limit = configuration.pageLimit.map { requested in serverMax.map { min(requested, $0) } ?? requested }
        let version = negotiated?.protocolVersion ?? 1
        var states: [RecordKey: Record] = [:]
        var cursor: String?
        while true {
            let request = PullRequest(cursor: cursor, limit: limit, protocolVersion: version)
            let page = try await attempt(&run) { try await self.transport.pull(request, team: self.configuration.team) }
            for record in page.records where keys.contains(record.key) {
                states[record.key] = states[record.key].map { $0.merged(with: record) } ?? record
            }
            for key in page.removed { states[key] = nil }
            if !page.more { break }
            guard page.nextCursor != cursor else {
                throw SyncError(
                    phase: .pulling, reason: .invalidResponse("page with more=true does not advance the cursor"),
                    partial: run.summary(now: environment.now()))
            }
            cursor = page.nextCursor
        }
        try await store(&run) { try await self.storage.continueRecords(serverStates: states) }
    }
}
