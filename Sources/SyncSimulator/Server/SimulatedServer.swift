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
                let merge = merge.merge
                return .success(.push(try await inner.push(batch, team: team, device: device, merge: merge)))
            }
        } catch let body as ErrorBody {
            return .failure(body)
        } catch {
            return .failure(ErrorBody(code: .internalError, message: "\(error)"))
        }
    }
}
