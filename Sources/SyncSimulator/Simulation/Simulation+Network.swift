import Foundation
import SyncProtocol

extension Simulation {
    /// A one-way network delay.
    func latency() -> Int64 {
        let faults = options.faults
        return faults.minLatency + random.exponential(mean: max(1, faults.meanLatency - faults.minLatency))
    }

    /// A device sent a request: the network loses it, delivers it (perhaps twice, the copy late), or
    /// fails it at once when the device has no route.
    func send(_ device: SimulatedDevice, call: UInt64, _ request: WireRequest) {
        stats.requests += 1
        var body: Data?
        if options.encodeMessages {
            body = Self.encode(request)
            stats.requestBytes += body?.count ?? 0
        }
        record("\(device.name) send \(request.kind)#\(call) \(Self.describe(request)) \(body?.count ?? 0)B")
        let faults = options.faults
        if faultsActive && (!device.online || device.partitioned) {
            stats.unreachable += 1
            let failure = SyncTransportError(kind: .unreachable, message: "simulated: no route to the server")
            schedule(
                .respond(device: device.index, call: call, epoch: serverEpoch, .failure(failure)),
                at: now + 200 + Int64(random.int(0..<800)))
            return
        }
        if faultsActive && random.chance(faults.kill) {
            schedule(.kill(device.index), at: now + Int64(random.int(0...Int(2 * faults.meanLatency))))
        }
        schedule(.timeout(device: device.index, call: call), at: now + faults.requestTimeout)
        if faultsActive && random.chance(faults.requestLoss) {
            stats.requestsLost += 1
            record("\(device.name) lost \(request.kind)#\(call)")
            return
        }
        let envelope = Envelope(request: request, body: body, isCopy: false)
        schedule(.arrive(device: device.index, call: call, envelope), at: now + latency())
        if faultsActive && random.chance(faults.duplicate) {
            stats.duplicates += 1
            var copy = envelope
            copy.isCopy = true
            let delay = latency() + Int64(random.int(0...Int(max(0, faults.duplicateDelay))))
            schedule(.arrive(device: device.index, call: call, copy), at: now + delay)
        }
    }

    /// A request reaches the server (or the place where the server should be).
    func arrive(_ device: SimulatedDevice, call: UInt64, _ envelope: Envelope) async {
        let kind = envelope.request.kind
        guard serverIsUp else {
            record("\(device.name) refused \(kind)#\(call)\(envelope.isCopy ? " copy" : ""): server down")
            if !envelope.isCopy {
                let failure = SyncTransportError(kind: .unreachable, message: "simulated: connection refused")
                schedule(
                    .respond(device: device.index, call: call, epoch: serverEpoch, .failure(failure)),
                    at: now + latency())
            }
            return
        }
        stats.serverRequests += 1
        let outcome: Result<WireResponse, ErrorBody>
        if faultsActive && kind != "hello" && random.chance(options.faults.storageError) {
            stats.storageErrors += 1
            outcome = .failure(ErrorBody(code: .unavailable, message: "simulated: the server's storage failed"))
        } else {
            switch Self.decode(envelope) {
            case .success(let request): outcome = await server.handle(request, device: device.name)
            case .failure(let body): outcome = .failure(body)
            }
        }
        let copy = envelope.isCopy ? " copy" : ""
        switch outcome {
        case .success(let response):
            record("\(device.name) served \(kind)#\(call)\(copy) \(Self.describe(response))")
        case .failure(let body):
            record("\(device.name) served \(kind)#\(call)\(copy) error \(body.code.rawValue)")
        }
        // The copy's answer has nowhere to go: the device waits on the first one.
        guard !envelope.isCopy else { return }
        if faultsActive && random.chance(options.faults.responseLoss) {
            stats.responsesLost += 1
            record("\(device.name) lost answer \(kind)#\(call)")
            return
        }
        let answer: Answer
        switch outcome {
        case .success(let response):
            var body: Data?
            if options.encodeMessages {
                body = Self.encode(response)
                stats.responseBytes += body?.count ?? 0
            }
            answer = .response(response, body: body)
        case .failure(let body):
            stats.responseBytes += options.encodeMessages ? ((try? WireCoding.encode(body))?.count ?? 0) : 0
            answer = .failure(.server(status: body.code.httpStatus ?? 500, body: body))
        }
        schedule(.respond(device: device.index, call: call, epoch: serverEpoch, answer), at: now + latency())
    }

    /// An answer reaches the device; a server restart since it left resets the connection instead.
    func respond(_ device: SimulatedDevice, call: UInt64, epoch: Int, _ answer: Answer) async {
        var result: Result<WireResponse, any Error>
        if epoch != serverEpoch {
            result = .failure(SyncTransportError(kind: .unreachable, message: "simulated: connection reset"))
        } else {
            switch answer {
            case .failure(let error):
                result = .failure(error)
            case .response(let response, let body):
                result = body.map { Self.decode(response, from: $0) } ?? .success(response)
            }
        }
        guard let signal = await hub.answer(device: device.index, call: call, with: result) else {
            stats.staleAnswers += 1
            record("\(device.name) stale answer #\(call)")
            return
        }
        record("\(device.name) received #\(call)\(Self.describe(result))")
        await handle(signal)
    }

    func timeOut(_ device: SimulatedDevice, call: UInt64) async {
        guard hub.isWaiting(device: device.index, call: call) else { return }
        stats.timeouts += 1
        record("\(device.name) timeout #\(call)")
        let failure = SyncTransportError(kind: .timedOut, message: "simulated: no answer in time")
        if let signal = await hub.answer(device: device.index, call: call, with: .failure(failure)) {
            await handle(signal)
        }
    }

    // MARK: Faults

    func goOffline(_ device: SimulatedDevice) {
        device.online = false
        stats.offlinePeriods += 1
        record("\(device.name) offline")
        schedule(.online(device.index), at: now + device.random.exponential(mean: options.faults.meanOffline))
    }

    func goOnline(_ device: SimulatedDevice) {
        guard !device.online else { return }
        device.online = true
        record("\(device.name) online")
        requestSync(device, at: now + Int64(device.random.int(1_000...60_000)))
    }

    func startPartition() {
        guard faultsActive else { return }
        let faults = options.faults
        var cut: [Int] = []
        if random.chance(0.5) {
            // A whole team's network (their office's connection) goes down.
            cut = roster.teams[random.int(0..<roster.teams.count)].devices
        } else {
            for device in devices where random.chance(faults.partitionShare) { cut.append(device.index) }
        }
        cut = cut.filter { !devices[$0].partitioned }
        for index in cut { devices[index].partitioned = true }
        stats.partitions += 1
        record("partition \(cut.count) devices")
        schedule(.partitionEnd(cut), at: now + random.exponential(mean: faults.meanPartition))
        schedule(.partitionStart, at: now + random.exponential(mean: faults.meanPartitionInterval))
    }

    func endPartition(_ cut: [Int]) {
        for index in cut { devices[index].partitioned = false }
        record("partition healed \(cut.count) devices")
    }

    func serverDown() {
        guard faultsActive else { return }
        serverIsUp = false
        serverEpoch += 1
        stats.serverRestarts += 1
        record("server down")
        schedule(.serverUp, at: now + random.exponential(mean: options.faults.meanDowntime))
    }

    func serverUp() {
        guard !serverIsUp else { return }
        serverIsUp = true
        record("server up")
        if faultsActive {
            schedule(.serverDown, at: now + random.exponential(mean: options.faults.meanRestartInterval))
        }
    }

    /// The app is killed (mid-sync when it was syncing): the engine's task is cancelled, the store
    /// closed and reopened, and a fresh engine takes over, as after a restart.
    func kill(_ device: SimulatedDevice) async {
        guard faultsActive else { return }
        stats.kills += 1
        record("\(device.name) killed\(device.syncing ? " mid-sync" : "")")
        if device.syncing {
            device.task?.cancel()
            if let signal = await hub.cancel(device: device.index) { await handle(signal) }
        }
        do {
            try await device.storage.reopen()
        } catch {
            runFailures.append(OracleFailure(kind: "store", detail: "\(device.name) did not reopen: \(error)"))
        }
        device.engine = makeEngine(
            index: device.index, team: roster.teams[device.spec.team].name, storage: device.storage,
            environment: device.environment)
    }

    // MARK: Wire coding

    static func encode(_ request: WireRequest) -> Data? {
        switch request {
        case .hello(let hello): try? WireCoding.encode(hello)
        case .push(let batch, _): try? WireCoding.encode(batch)
        case .pull(let pull, _): try? WireCoding.encode(pull)
        }
    }

    static func encode(_ response: WireResponse) -> Data? {
        switch response {
        case .hello(let hello): try? WireCoding.encode(hello)
        case .push(let result): try? WireCoding.encode(result)
        case .pull(let page): try? WireCoding.encode(page)
        }
    }

    /// The request as the server decodes it from its body (strictly, as over HTTP).
    static func decode(_ envelope: Envelope) -> Result<WireRequest, ErrorBody> {
        guard let body = envelope.body else { return .success(envelope.request) }
        do {
            switch envelope.request {
            case .hello: return .success(.hello(try WireCoding.decode(HelloRequest.self, from: body)))
            case .push(_, let team):
                return .success(.push(try WireCoding.decode(PushBatch.self, from: body), team: team))
            case .pull(_, let team):
                return .success(.pull(try WireCoding.decode(PullRequest.self, from: body), team: team))
            }
        } catch {
            return .failure(error.errorBody)
        }
    }

    /// The answer as the device decodes it.
    static func decode(_ response: WireResponse, from body: Data) -> Result<WireResponse, any Error> {
        do {
            switch response {
            case .hello: return .success(.hello(try WireCoding.decode(HelloResponse.self, from: body)))
            case .push: return .success(.push(try WireCoding.decode(PushResult.self, from: body)))
            case .pull: return .success(.pull(try WireCoding.decode(PullPage.self, from: body)))
            }
        } catch {
            return .failure(SyncTransportError(kind: .invalidResponse, message: "undecodable answer: \(error)"))
        }
    }

    // MARK: Log text

    static func describe(_ request: WireRequest) -> String {
        switch request {
        case .hello: ""
        case .push(let batch, _): "\(batch.records.count) records"
        case .pull(let pull, _): "after \(pull.cursor ?? "start")"
        }
    }

    static func describe(_ response: WireResponse) -> String {
        switch response {
        case .hello: "ok"
        case .push(let result):
            "seq \(result.sequence) merged \(result.results.count { $0.status == .merged })/\(result.results.count)"
        case .pull(let page): "\(page.records.count) records to \(page.nextCursor)\(page.more ? " more" : "")"
        }
    }

    static func describe(_ result: Result<WireResponse, any Error>) -> String {
        switch result {
        case .success: ""
        case .failure(let error): " failure \((error as? SyncTransportError)?.message ?? "\(error)")"
        }
    }
}
