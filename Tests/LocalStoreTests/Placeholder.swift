import Testing
@Test func placeholder_LocalStoreTests() { #expect(1 + 1 == 2) }
