import Testing

@testable import NVMfConfig

#if canImport(Glibc)
    import Glibc
#endif

/// The shipped example must stay a valid configuration.
@Test func shippedExampleParses() throws {
    let repo = String(#filePath.dropLast("Tests/NVMfConfigTests/ExampleConfigTests.swift".count))
    let path = repo + "examples/nvmf-tgt.json"
    guard let f = fopen(path, "rb") else {
        Issue.record("cannot open \(path)")
        return
    }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var c = fgetc(f)
    while c != EOF {
        bytes.append(UInt8(c))
        c = fgetc(f)
    }
    let file = try ConfigFile(json: bytes)
    #expect(file.entries.count == 7)
    guard case .bdevAioCreate(_, let filename, let blockSize, let readOnly, _) = file.entries[1].call else {
        Issue.record("second entry is not bdev_aio_create")
        return
    }
    #expect(filename == "/dev/ram0" && blockSize == 4096 && !readOnly)
}
