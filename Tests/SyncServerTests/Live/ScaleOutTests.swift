import Foundation
import SyncClient
import SyncProtocol
import SyncProtocolTesting
import SyncServer
import Testing

/// Two server instances on one PostgreSQL database, each with its own connection pool (as two processes
/// behind a load balancer); devices that alternate between them converge.
@Suite("Scale-out on PostgreSQL")
struct ScaleOutTests {
    @Test(.enabled(if: TestEnvironment.postgresEnabled, TestEnvironment.postgresSkipReason))
    func devicesAlternatingBetweenTwoServersConverge() async throws {
        let first = try Backend.postgres.makeStorage()
        let second = try Backend.postgres.makeStorage()
        try await LiveServer.run(storage: first) { urlA in
            try await LiveServer.run(storage: second) { urlB in
                let servers = [urlA, urlB]
                let team = TestEnvironment.uniqueName("team")
                _ = try await first.createTeam(named: team, at: Date())
                let devices = try await SyncClientLiveTests.enrolDevices(3, storage: second, baseURL: urlA, team: team)
                let replicas = devices.map { InMemoryReplicaStorage(replica: $0.replica) }
                let shared = RecordKey(collection: "notes", id: "shared")
                try await replicas[0].create(
                    collection: "notes", id: shared.id, values: SyncClientLiveTests.noteValues("line 1\n"),
                    schema: Schemas.notes)

                // Rounds of offline edits; each device syncs with one server, then the other, concurrently.
                for round in 0..<6 {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for (index, replica) in replicas.enumerated() {
                            let device = devices[index]
                            group.addTask {
                                try await replica.create(
                                    collection: "notes", id: "r\(round)-d\(index)",
                                    values: SyncClientLiveTests.noteValues("round \(round) device \(index)\n"),
                                    schema: Schemas.notes)
                                if await replica.record(shared) != nil {
                                    try await replica.update(
                                        shared, values: ["tags": .tags(["r\(round)", "d\(index)"])])
                                }
                                try await SyncClientLiveTests.sync(
                                    replica, device: device, team: team, baseURL: servers[(round + index) % 2])
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                // Two quiet passes so every device has seen every change, through either server.
                for pass in 0..<2 {
                    for (index, replica) in replicas.enumerated() {
                        try await SyncClientLiveTests.sync(
                            replica, device: devices[index], team: team, baseURL: servers[(pass + index) % 2])
                    }
                }
                let states = await replicas.asyncMap { await $0.records() }
                #expect(states[0].count == 1 + 6 * 3)
                #expect(states[1] == states[0])
                #expect(states[2] == states[0])
                #expect(try await first.lastSeq(team: team) == second.lastSeq(team: team))
                for replica in replicas { #expect(await replica.outboxKeys().isEmpty) }
            }
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
