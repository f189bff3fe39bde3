import SyncProtocol

/// One device's connection to the simulated network: every call parks the device until the
/// scheduler delivers an answer, an error or a timeout.
struct SimulatedTransport: SyncTransport {
    let device: Int
    let hub: DeviceHub

    func hello(_ request: HelloRequest) async throws -> HelloResponse {
        guard case .hello(let response) = try await hub.send(device: device, .hello(request)) else {
            throw SyncTransportError(kind: .invalidResponse, message: "answer of the wrong kind to hello")
        }
        return response
    }

    func push(_ batch: PushBatch, team: String) async throws -> PushResult {
        guard case .push(let result) = try await hub.send(device: device, .push(batch, team: team)) else {
            throw SyncTransportError(kind: .invalidResponse, message: "answer of the wrong kind to push")
        }
        return result
    }

    func pull(_ request: PullRequest, team: String) async throws -> PullPage {
        guard case .pull(let page) = try await hub.send(device: device, .pull(request, team: team)) else {
            throw SyncTransportError(kind: .invalidResponse, message: "answer of the wrong kind to pull")
        }
        return page
    }
}
