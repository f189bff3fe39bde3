import SyncProtocol
import Testing

@testable import SyncSimulator

@Suite("Determinism")
struct DeterminismTests {
    @Test func sameSeedSameRunEventForEvent() async throws {
        let options = SimulationOptions(seed: 4242, devices: 6, operationsPerDevice: 20)
        let first = try await Simulation(options: options).run()
        let second = try await Simulation(options: options).run()
        #expect(first.eventHash == second.eventHash)
        #expect(first.events == second.events)
        #expect(first.stats == second.stats)
        #expect(first.virtualMilliseconds == second.virtualMilliseconds)
        #expect(first.passed && second.passed)
    }

    @Test func differentSeedsDifferentRuns() async throws {
        let first = try await Simulation(options: SimulationOptions(seed: 1, devices: 6, operationsPerDevice: 10))
            .run()
        let second = try await Simulation(options: SimulationOptions(seed: 2, devices: 6, operationsPerDevice: 10))
            .run()
        #expect(first.eventHash != second.eventHash)
    }

    @Test func randomStreamsAreReproducibleAndIndependent() {
        var a = SimulationRandom(seed: 7)
        var b = SimulationRandom(seed: 7)
        let first = (0..<100).map { _ in a.next() }
        #expect(first == (0..<100).map { _ in b.next() })
        var split = SimulationRandom(seed: 7).split(3)
        #expect((0..<10).map { _ in split.next() } != Array(first.prefix(10)))
        var unit = SimulationRandom(seed: 9)
        for _ in 0..<1_000 {
            let draw = unit.unit()
            #expect(draw >= 0 && draw < 1)
        }
        let mean = (0..<10_000).reduce(Int64(0)) { sum, _ in sum + unit.exponential(mean: 1_000) } / 10_000
        #expect((900...1_100).contains(mean))
    }

    @Test func eventQueueOrdersByTimeThenSchedule() {
        var queue = EventQueue<String>()
        queue.schedule("c", at: 5)
        queue.schedule("a", at: 1)
        queue.schedule("d", at: 5)
        queue.schedule("b", at: 3)
        queue.schedule("e", at: 5)
        var order: [String] = []
        while let (_, event) = queue.pop() { order.append(event) }
        #expect(order == ["a", "b", "c", "d", "e"])
    }

    @Test func eventLogHashDependsOnEveryLine() {
        var one = EventLog()
        var two = EventLog()
        one.append(1, "d1 send push#1")
        two.append(1, "d1 send push#1")
        #expect(one.hash == two.hash)
        one.append(2, "d2 send pull#2")
        two.append(2, "d2 send pull#3")
        #expect(one.hash != two.hash)
        #expect(one.recentLines == ["1 d1 send push#1", "2 d2 send pull#2"])
    }
}
