import Testing
@testable import RdmaTransport

@Test func moduleLinks() { #expect(Bool(true)) }
