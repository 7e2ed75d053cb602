import Testing
@testable import Backends

@Test func moduleLinks() { #expect(Bool(true)) }
