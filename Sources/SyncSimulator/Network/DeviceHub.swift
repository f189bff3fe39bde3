import Foundation
import SyncProtocol

/// Why a device's sync task stopped running and handed control back to the scheduler.
enum DeviceSignal: Sendable {
    /// The engine sent a request and waits for its answer.
    case request(device: Int, call: UInt64, WireRequest)
    /// The engine waits before a retry.
    case sleep(device: Int, call: UInt64, Duration)
    /// The sync ended.
    case finished(device: Int, Result<SyncSummary, SyncError>)
}

/// The hand-over point between the scheduler and the devices' sync tasks.
///
/// The simulation runs one thing at a time: the scheduler resumes one device, then waits until that
/// device parks again (on a request, on a retry sleep) or finishes its sync. Devices are ordinary
/// Swift tasks running the real ``SyncEngine``, but because exactly one of them is ever runnable the
/// run is deterministic whatever threads the executor picks.
final class DeviceHub: @unchecked Sendable {
    private enum Parked {
        case call(UInt64, CheckedContinuation<WireResponse, any Error>)
        case sleep(UInt64, CheckedContinuation<Void, any Error>)
    }

    private let lock = NSLock()
    private var waiter: CheckedContinuation<DeviceSignal, Never>?
    private var parked: [Int: Parked] = [:]
    private var nextCall: UInt64 = 0

    // MARK: Scheduler side

    /// Runs `resume` (which starts or resumes one device) and waits until that device stops again.
    func run(_ resume: () -> Void) async -> DeviceSignal {
        await withCheckedContinuation { (continuation: CheckedContinuation<DeviceSignal, Never>) in
            lock.withLock {
                precondition(waiter == nil, "two devices running at once")
                waiter = continuation
            }
            resume()
        }
    }

    /// Whether `device` waits for the answer to `call`.
    func isWaiting(device: Int, call: UInt64) -> Bool {
        lock.withLock {
            switch parked[device] {
            case .call(let id, _)?, .sleep(let id, _)?: id == call
            case nil: false
            }
        }
    }

    /// Whether `device` is parked at all (mid-sync).
    func isParked(device: Int) -> Bool {
        lock.withLock { parked[device] != nil }
    }

    /// Answers `call` of `device` and runs the device until it stops again; `nil` if the call is no
    /// longer awaited (answered already, timed out, or its sync was killed).
    func answer(device: Int, call: UInt64, with result: Result<WireResponse, any Error>) async -> DeviceSignal? {
        guard case .call(let id, let continuation)? = lock.withLock({ parked[device] }), id == call else {
            return nil
        }
        lock.withLock { parked[device] = nil }
        return await run { continuation.resume(with: result) }
    }

    /// Ends the retry wait `call` of `device` and runs the device until it stops again.
    func wake(device: Int, call: UInt64) async -> DeviceSignal? {
        guard case .sleep(let id, let continuation)? = lock.withLock({ parked[device] }), id == call else {
            return nil
        }
        lock.withLock { parked[device] = nil }
        return await run { continuation.resume() }
    }

    /// Kills whatever `device` waits for with `CancellationError` and runs it until its sync ends;
    /// `nil` if the device was not mid-sync.
    func cancel(device: Int) async -> DeviceSignal? {
        guard let entry = lock.withLock({ parked.removeValue(forKey: device) }) else { return nil }
        return await run {
            switch entry {
            case .call(_, let continuation): continuation.resume(throwing: CancellationError())
            case .sleep(_, let continuation): continuation.resume(throwing: CancellationError())
            }
        }
    }

    // MARK: Device side

    /// Parks the calling device on `request` until the scheduler answers it.
    func send(device: Int, _ request: WireRequest) async throws -> WireResponse {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WireResponse, any Error>) in
            let (waiting, call) = lock.withLock {
                nextCall += 1
                parked[device] = .call(nextCall, continuation)
                return (takeWaiter(), nextCall)
            }
            waiting.resume(returning: .request(device: device, call: call, request))
        }
    }

    /// Parks the calling device for a retry wait until the scheduler wakes it.
    func sleep(device: Int, for duration: Duration) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let (waiting, call) = lock.withLock {
                nextCall += 1
                parked[device] = .sleep(nextCall, continuation)
                return (takeWaiter(), nextCall)
            }
            waiting.resume(returning: .sleep(device: device, call: call, duration))
        }
    }

    /// Reports the end of a device's sync.
    func finished(device: Int, _ result: Result<SyncSummary, SyncError>) {
        let waiting = lock.withLock { takeWaiter() }
        waiting.resume(returning: .finished(device: device, result))
    }

    private func takeWaiter() -> CheckedContinuation<DeviceSignal, Never> {
        guard let waiting = waiter else { preconditionFailure("a device ran without the scheduler waiting for it") }
        waiter = nil
        return waiting
    }
}
