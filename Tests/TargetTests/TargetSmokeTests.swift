import Testing
@testable import Target

@Test func moduleLinks() { #expect(Bool(true)) }
