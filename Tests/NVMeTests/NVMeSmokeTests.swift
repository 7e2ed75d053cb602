import Testing
@testable import NVMe

@Test func moduleLinks() { #expect(Bool(true)) }
