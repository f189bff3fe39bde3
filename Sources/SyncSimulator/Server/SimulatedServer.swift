import SyncProtocol

/// The in-process server of a simulation: the kit's ``InMemorySyncServer`` (whose state plays the
/// server's disk and survives restarts) behind a switchable merge, with injected storage errors.
final class SimulatedServer {
    /// The reference server.
    let inner: InMemorySyncServer
    /// The merge applied to pushed records.
    let merge: MergeFunction

    init(inner: InMemorySyncServer, merge: MergeFunction) {
        self.inner = inner
        self.merge = merge
    }

    /// Handles one request from `device` as the HTTP server would.
    func handle(_ request: WireRequest, device: String) async -> Result<WireResponse, ErrorBody> {
        do {
            switch request {
            case .hello(let hello):
                return .success(.hello(try await inner.hello(hello, device: device)))
            case .pull(let pull, let team):
                return .success(.pull(try await inner.pull(pull, team: team, device: device)))
            case .push(let batch, let team):
                if merge.isStandard {
                    return .success(.push(try await inner.push(batch, team: team, device: device)))
                }
                return .success(.push(try await pushWithCustomMerge(batch, team: team, device: device)))
            }
        } catch let body as ErrorBody {
            return .failure(body)
        } catch {
            return .failure(ErrorBody(code: .internalError, message: "\(error)"))
        }
    }

    /// Applies the custom merge first, then lets the reference server store the result (which
    /// dominates what it holds, so it is stored as is), and answers as the protocol says.
    private func pushWithCustomMerge(_ batch: PushBatch, team: String, device: String) async throws -> PushResult {
        var premerged: [Record] = []
        for record in batch.records {
            let stored = await inner.record(record.key, in: team)
            premerged.append(stored.map { merge.merge($0, record) } ?? record)
        }
        let rewritten = PushBatch(replica: batch.replica, batchID: batch.batchID, records: premerged)
        let result = try await inner.push(rewritten, team: team, device: device)
        var outcomes: [PushOutcome] = []
        for record in batch.records {
            let final = await inner.record(record.key, in: team) ?? record
            outcomes.append(final == record ? .accepted(record.key) : .merged(final))
        }
        return PushResult(batchID: result.batchID, sequence: result.sequence, results: outcomes)
    }
}
