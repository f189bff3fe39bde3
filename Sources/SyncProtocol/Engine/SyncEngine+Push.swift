extension SyncEngine {
    /// Pushes the outbox in batches, walking it by marker so that each entry is sent at most once per
    /// sync even if acknowledging it fails to remove it (because it changed again meanwhile).
    ///
    /// Every batch carries the cursor the device had applied when the push began, and the last batch of
    /// the walk says `final`, so the server learns which versions the device had seen before sending all
    /// its older operations (its input for compaction). One extra entry is read to know which batch is last.
    func pushAll(_ run: inout Run) async throws(SyncError) {
        run.phase = .pushing
        run.pendingAtStart = try await store(&run) { try await self.storage.pendingChangeCount() }
        let cursorAtStart = try await store(&run) { try await self.storage.pullCursor() }
        await run.report()
        let serverLimit = negotiated?.server.limits.maxBatchRecords ?? configuration.maxBatchRecords
        var batchSize = min(configuration.maxBatchRecords, serverLimit)
        var after: OutboxMarker?
        while true {
            let limit = batchSize + 1
            var entries = try await store(&run) { try await self.storage.pendingChanges(after: after, limit: limit) }
            let final = entries.count <= batchSize
            if !final { entries.removeLast(entries.count - batchSize) }
            guard let last = entries.last else {
                if after == nil { try await sendCheckpoint(cursor: cursorAtStart, &run) }
                return
            }
            let batch = PushBatch(
                replica: configuration.replica, batchID: environment.makeBatchID(), records: entries.map(\.record),
                cursor: cursorAtStart, final: final
            )
            let result: PushResult
            do {
                result = try await attempt(&run) { try await self.transport.push(batch, team: self.configuration.team) }
            } catch {
                let code = error.errorBody?.code
                guard code == .payloadTooLarge || code == .batchTooLarge else { throw error }
                // Too big for this server: halve the batch and try again; one record alone is hopeless.
                guard entries.count > 1 else {
                    throw SyncError(
                        phase: .pushing, reason: .recordTooLarge(entries[0].record.key),
                        partial: run.summary(now: environment.now()))
                }
                batchSize = max(1, entries.count / 2)
                continue
            }
            let acknowledgements = try check(result, for: entries, batchID: batch.batchID, run: run)
            let outcome = try await store(&run) { try await self.storage.acknowledge(acknowledgements) }
            run.sent += entries.count
            run.merged += result.results.count { $0.status == .merged }
            run.conflicted.formUnion(outcome.conflicted)
            run.batches += 1
            after = last.marker
            if final { reportedCursor = cursorAtStart }
            await run.report()
        }
    }

    /// With nothing to push, tells the server once per new cursor that this device's outbox is empty, so
    /// a device that only reads does not hold back the server's compaction forever.
    private func sendCheckpoint(cursor: String?, _ run: inout Run) async throws(SyncError) {
        guard let cursor, cursor != reportedCursor else { return }
        let batch = PushBatch(
            replica: configuration.replica, batchID: environment.makeBatchID(), records: [], cursor: cursor, final: true
        )
        let result = try await attempt(&run) { try await self.transport.push(batch, team: self.configuration.team) }
        guard result.results.isEmpty, result.batchID == batch.batchID else {
            throw SyncError(
                phase: .pushing, reason: .invalidResponse("checkpoint answered with results"),
                partial: run.summary(now: environment.now()))
        }
        reportedCursor = cursor
    }

    /// Pairs each outcome with the outbox entry it answers, refusing an answer that does not match.
    private func check(
        _ result: PushResult, for entries: [OutboxEntry], batchID: String, run: Run
    ) throws(SyncError) -> [PushAcknowledgement] {
        func invalid(_ detail: String) -> SyncError {
            SyncError(phase: .pushing, reason: .invalidResponse(detail), partial: run.summary(now: environment.now()))
        }
        guard result.batchID == batchID else {
            throw invalid("push result for batch \(result.batchID), sent \(batchID)")
        }
        guard result.results.count == entries.count else {
            throw invalid("\(result.results.count) push results for \(entries.count) records")
        }
        var acknowledgements: [PushAcknowledgement] = []
        acknowledgements.reserveCapacity(entries.count)
        for (entry, outcome) in zip(entries, result.results) {
            guard outcome.key == entry.record.key else {
                throw invalid("push result for \(outcome.key) where \(entry.record.key) was sent")
            }
            acknowledgements.append(
                PushAcknowledgement(
                    key: outcome.key, marker: entry.marker, serverRecord: outcome.record,
                    pushedClock: entry.record.clock))
        }
        return acknowledgements
    }
}
