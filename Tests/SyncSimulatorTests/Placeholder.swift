import Testing
@Test func placeholder_SyncSimulatorTests() { #expect(1 + 1 == 2) }
