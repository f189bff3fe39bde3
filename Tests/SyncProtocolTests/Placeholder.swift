import Testing
@Test func placeholder_SyncProtocolTests() { #expect(1 + 1 == 2) }
