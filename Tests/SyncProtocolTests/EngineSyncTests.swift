import Testing

@testable import SyncProtocol

@Suite("Sync engine: convergence and progress")
struct EngineSyncTests {
    @Test func twoDevicesConvergeThroughTheServer() async throws {
        let world = EngineWorld()
        let laptop = try await world.device("laptop")
        let phone = try await world.device("phone")
        try await laptop.writeNote("n1")
        try await phone.writeNote("n2")

        let first = try await laptop.sync()
        #expect(first.sent == 1 && first.received == 1 && first.conflicts == 0)
        // Its own note came back: received, but nothing new for the laptop.
        #expect(first.updated == 0)
        let second = try await phone.sync()
        #expect(second.sent == 1 && second.received == 2 && second.updated == 1)
        let third = try await laptop.sync()
        #expect(third.received == 1 && third.updated == 1)

        await world.expectConverged([laptop, phone])
        #expect(await laptop.storage.records().count == 2)
        #expect(await laptop.storage.pendingChangeCount() == 0)
        #expect(await phone.storage.pendingChangeCount() == 0)
    }

    @Test func concurrentEditsMergeAndConflictsAreReported() async throws {
        let world = EngineWorld()
        let laptop = try await world.device("laptop")
        let phone = try await world.device("phone")
        try await laptop.writeNote("n1", body: "Line one.\nLine two.\n")
        try await laptop.sync()
        try await phone.sync()

        // Different fields: merge cleanly. Same short-string field: a conflict for a person.
        try await laptop.storage.update(noteKey("n1"), values: ["place": .string("station"), "kind": .string("phone")])
        let followUp = Timestamp(millisecondsSince1970: 1_796_000_000_000)
        try await phone.storage.update(
            noteKey("n1"), values: ["followUp": .timestamp(followUp), "kind": .string("sms")]
        )
        try await laptop.sync()
        let summary = try await phone.sync()
        #expect(summary.merged == 1)
        #expect(summary.conflicts == 1)
        #expect(summary.conflictedRecords == [noteKey("n1")])
        try await laptop.sync()
        await world.expectConverged([laptop, phone])

        let note = try #require(await laptop.storage.record(noteKey("n1")))
        #expect(note.value("place") == .string("station"))
        #expect(note.value("followUp") != nil)
        #expect(note.isInConflict(field: "kind"))

        // Resolving on one device settles everywhere.
        try await phone.storage.resolve(noteKey("n1"), field: "kind", with: .string("walk"))
        try await phone.sync()
        let after = try await laptop.sync()
        #expect(after.conflicts == 0)
        await world.expectConverged([laptop, phone])
        #expect(await laptop.storage.record(noteKey("n1"))?.isInConflict == false)
    }

    @Test func fiveDevicesWithFlakyNetworksConverge() async throws {
        let world = EngineWorld()
        var devices: [EngineWorld.Device] = []
        for index in 0..<5 {
            let device = try await world.device("d\(index)", batch: 3, page: 4, seed: UInt64(index + 1))
            await device.transport.setProfile(.init(failRate: 0.1, dropRate: 0.1, duplicateRate: 0.1))
            devices.append(device)
        }
        var generator = SplitMix64(seed: 42)
        for round in 0..<4 {
            for (index, device) in devices.enumerated() {
                try await device.writeNote("n\(round)-\(index)")
                let known = await device.storage.records().map(\.key)
                if let key = known.randomElement(using: &generator) {
                    try await device.storage.update(key, values: ["place": .string("p\(round)-\(index)")])
                }
            }
            for device in devices.shuffled(using: &generator) {
                try await device.sync()
            }
        }
        for device in devices { await device.transport.setProfile(.init()) }
        for device in devices { try await device.sync() }
        await world.expectConverged(devices)
        #expect(await world.server.records(in: EngineWorld.team).count == 20)
    }

    @Test func progressIsReportedInOrderAndMatchesTheSummary() async throws {
        let world = EngineWorld()
        let laptop = try await world.device("laptop", batch: 2, page: 2)
        let phone = try await world.device("phone")
        for index in 0..<5 { try await phone.writeNote("p\(index)") }
        try await phone.sync()
        for index in 0..<3 { try await laptop.writeNote("l\(index)") }

        let log = ProgressLog()
        let summary = try await laptop.engine.sync { await log.append($0) }
        let reports = await log.reports
        let phases = reports.map(\.phase)
        #expect(phases.first == .negotiating)
        #expect(phases.last == .finished)
        let firstPull = try #require(phases.firstIndex(of: .pulling))
        #expect(phases.lastIndex(of: .pushing)! < firstPull)
        #expect(reports.last?.recordsSent == 3 && reports.last?.batchesPushed == 2)
        #expect(reports.last?.recordsReceived == summary.received && reports.last?.pagesPulled == summary.pages)
        #expect(reports.first(where: { $0.phase == .pushing })?.pendingAtStart == 3)
        #expect(summary.sent == 3 && summary.batches == 2)
        // 8 records on the server, pages of 2.
        #expect(summary.received == 8 && summary.pages == 4)
        #expect(await laptop.storage.lastSync == summary)
    }

    @Test func progressStreamFinishesAfterTheLastReport() async throws {
        let world = EngineWorld()
        let laptop = try await world.device("laptop")
        try await laptop.writeNote("n1")
        let (stream, handler) = SyncProgress.stream()
        try await laptop.engine.sync(progress: handler)
        var phases: [SyncProgress.Phase] = []
        for await progress in stream { phases.append(progress.phase) }
        #expect(phases.last == .finished)
    }

    @Test func completePushesTellTheServerWhatEachDeviceHadSeen() async throws {
        let world = EngineWorld()
        let laptop = try await world.device("laptop", batch: 2)
        let phone = try await world.device("phone", batch: 2)
        for index in 0..<5 { try await laptop.writeNote("l\(index)") }
        try await laptop.sync()
        #expect(await world.server.stablePosition(of: EngineWorld.team) == 0)
        // The phone only reads: its first sync pulls to 5, its second reports that with an empty checkpoint.
        try await phone.sync()
        #expect(await world.server.stablePosition(of: EngineWorld.team) == 0)
        let pushes = await phone.transport.callCount(.push)
        try await phone.sync()
        #expect(await phone.transport.callCount(.push) == pushes + 1)
        try await phone.sync()
        #expect(await phone.transport.callCount(.push) == pushes + 1, "a checkpoint is sent once per cursor")
        // The laptop had pulled to 5 (its own notes) before its second, complete push.
        try await laptop.writeNote("l5")
        try await laptop.sync()
        #expect(await world.server.stablePosition(of: EngineWorld.team) == 5)
    }

    @Test func aSyncWithNothingToDoSendsNothing() async throws {
        let world = EngineWorld()
        let laptop = try await world.device("laptop")
        try await laptop.writeNote("n1")
        try await laptop.sync()
        let sequence = await world.server.sequence(of: EngineWorld.team)
        let idle = try await laptop.sync()
        #expect(idle.sent == 0 && idle.received == 0 && idle.batches == 0 && idle.pages == 1)
        #expect(await world.server.sequence(of: EngineWorld.team) == sequence)
        // Hello happens once per engine, not per sync.
        #expect(await laptop.transport.callCount(.hello) == 1)
    }
}

/// Protocol version 2: an adviser who leaves the team keeps nothing of it on the device (README §14.4).
@Suite("Engine: team membership ends")
struct EngineMembershipTests {
    @Test func aDeviceWhoseAdviserLeftTheTeamDropsItsRecordsAndKeepsUnsyncedChangesAside() async throws {
        let world = EngineWorld()
        let laptop = try await world.device("laptop")
        try await laptop.writeNote("n1")
        try await laptop.writeNote("n2")
        try await laptop.sync()
        #expect(await laptop.storage.records().count == 2)

        // An unsynced edit, then the adviser leaves the team (the device stays enrolled elsewhere).
        _ = try await laptop.storage.update(noteKey("n2"), values: ["place": .string("school")])
        await world.server.registerDevice("laptop", replica: try ReplicaID("laptop"), teams: ["south"])
        do {
            try await laptop.engine.sync()
            Issue.record("the sync should end with teamAccessEnded")
        } catch {
            guard case .teamAccessEnded(let team) = error.reason else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(team == EngineWorld.team)
            #expect(error.partial.removed == 2 && error.partial.setAside == 1)
            #expect(error.description.contains("no longer a member"))
        }
        #expect(await laptop.storage.records().isEmpty)
        #expect(await laptop.storage.setAside == [noteKey("n2")])
        #expect(try await laptop.storage.pendingChangeCount() == 0, "a change kept aside is never sent")
        #expect(try await laptop.storage.pullCursor() == nil)
        #expect(await world.server.record(noteKey("n2"), in: EngineWorld.team)?.value("place") == nil)
    }
}
