extension SyncEngine {
    /// Pulls pages until the server says there is no more, applying each with its cursor.
    func pullAll(_ run: inout Run) async throws(SyncError) {
        run.phase = .pulling
        await run.report()
        var cursor = try await store(&run) { try await self.storage.pullCursor() }
        let serverMax = negotiated?.server.limits.maxPageRecords
        let limit = configuration.pageLimit.map { requested in serverMax.map { min(requested, $0) } ?? requested }
        let version = negotiated?.protocolVersion ?? 1
        var restarted = false
        // The request for the page after the one being applied, already on its way (see `prefetchPages`).
        var ahead: Task<PullPage, any Error>?
        defer { ahead?.cancel() }
        while true {
            let request = PullRequest(cursor: cursor, limit: limit, protocolVersion: version)
            let page: PullPage
            do {
                var prefetched = ahead
                ahead = nil
                page = try await attempt(&run) {
                    // The first attempt takes the prefetched answer (or its failure, retried like any other).
                    if let task = prefetched {
                        prefetched = nil
                        return try await task.value
                    }
                    return try await self.transport.pull(request, team: self.configuration.team)
                }
            } catch {
                // The server compacted its log past our cursor: start over from the beginning. Merging
                // records we already hold is harmless; the first applied page replaces the old cursor.
                guard error.errorBody?.code == .cursorExpired, !restarted, cursor != nil else { throw error }
                restarted = true
                cursor = nil
                continue
            }
            if page.more && page.records.isEmpty && page.removed.isEmpty && page.nextCursor == cursor {
                throw SyncError(
                    phase: .pulling, reason: .invalidResponse("page with more=true does not advance the cursor"),
                    partial: run.summary(now: environment.now())
                )
            }
            if page.more && configuration.prefetchPages {
                let next = PullRequest(cursor: page.nextCursor, limit: limit, protocolVersion: version)
                let transport = self.transport
                let team = configuration.team
                ahead = Task { try await transport.pull(next, team: team) }
            }
            let outcome = try await store(&run) { try await self.storage.apply(page: page) }
            cursor = page.nextCursor
            run.received += page.records.count
            run.updated += outcome.changed
            run.merged += outcome.merged
            run.conflicted.formUnion(outcome.conflicted)
            run.removed += outcome.removed
            run.setAside += outcome.setAside
            run.pages += 1
            await run.report()
            if !page.more { return }
        }
    }
}
