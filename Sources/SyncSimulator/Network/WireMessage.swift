import SyncProtocol

/// A request a device's engine sends, as the simulated network carries it.
enum WireRequest: Sendable {
    case hello(HelloRequest)
    case push(PushBatch, team: String)
    case pull(PullRequest, team: String)

    /// A short name for the event log.
    var kind: String {
        switch self {
        case .hello: "hello"
        case .push: "push"
        case .pull: "pull"
        }
    }
}

/// The server's answer to a ``WireRequest``.
enum WireResponse: Sendable {
    case hello(HelloResponse)
    case push(PushResult)
    case pull(PullPage)
}
