import Testing
@Test func placeholder_SyncServerTests() { #expect(1 + 1 == 2) }
