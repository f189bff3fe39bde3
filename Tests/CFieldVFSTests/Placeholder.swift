import Testing
@Test func placeholder_CFieldVFSTests() { #expect(1 + 1 == 2) }
