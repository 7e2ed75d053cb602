import Testing
@testable import Verbs

@Test func moduleLinks() { #expect(Bool(true)) }
