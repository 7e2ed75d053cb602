// Shared by the libFuzzer harnesses (Tests/Fuzz/README.md): a reader over the
// input bytes and the entry point of the plain (non-fuzzer) build, which
// replays inputs and writes the seed corpus.
import Glibc

/// Reads an input front to back; past the end every read yields zeros, so
/// any prefix of an input is itself a valid input.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset >= bytes.count }

    public mutating func u8() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func le16() -> UInt16 { UInt16(u8()) | UInt16(u8()) << 8 }
    public mutating func le32() -> UInt32 { UInt32(le16()) | UInt32(le16()) << 16 }

    /// Up to `count` bytes (fewer at the end of the input).
    public mutating func take(_ count: Int) -> UnsafeRawBufferPointer {
        let n = min(max(count, 0), remaining)
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n])
    }

    /// The rest of the input.
    public mutating func rest() -> UnsafeRawBufferPointer { take(remaining) }
}

/// Little-endian appends, for building seeds.
extension Array where Element == UInt8 {
    public mutating func appendLE16(_ v: UInt16) { append(contentsOf: [UInt8(v & 0xFF), UInt8(v >> 8)]) }
    public mutating func appendLE32(_ v: UInt32) {
        appendLE16(UInt16(truncatingIfNeeded: v))
        appendLE16(UInt16(truncatingIfNeeded: v >> 16))
    }
}

/// The `main` of every harness.
///
/// - `NAME --write-seeds DIR`: writes the harness's seed inputs into DIR.
/// - Built with `-D FUZZING` (scripts/fuzz.sh): anything else runs libFuzzer
///   (`LLVMFuzzerRunDriver`) with the command line, `run` as the target.
/// - A plain build: `NAME FILE|DIR...` runs every input once (a directory:
///   each regular file in it), as libFuzzer does with files on its command
///   line; arguments starting with `-` (libFuzzer flags) are ignored.
public func harnessMain(
    name: String, seeds: () -> [(name: String, bytes: [UInt8])], run: @escaping (UnsafeRawBufferPointer) -> Void
) -> Never {
    // Returns first, so that nothing it allocated is live when LeakSanitizer looks at exit.
    exit(harnessStatus(name: name, seeds: seeds, run: run))
}

func harnessStatus(
    name: String, seeds: () -> [(name: String, bytes: [UInt8])], run: @escaping (UnsafeRawBufferPointer) -> Void
) -> Int32 {
    var args = Array(CommandLine.arguments.dropFirst())
    if args.first == "--write-seeds" {
        guard args.count == 2 else { fail("usage: \(name) --write-seeds DIR") }
        let dir = args[1]
        mkdir(dir, 0o755)
        let all = seeds()
        for seed in all { writeFile("\(dir)/\(seed.name)", seed.bytes) }
        print("\(name): wrote \(all.count) seeds to \(dir)")
        return 0
    }
    #if FUZZING
        harnessBody = run
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            harnessBody(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
    #else
        args.removeAll { $0.hasPrefix("-") }
        guard !args.isEmpty else { fail("usage: \(name) FILE|DIR... | --write-seeds DIR") }
        var count = 0
        for path in args {
            for file in filesAt(path) {
                guard let bytes = readFile(file) else { fail("\(name): cannot read \(file)") }
                bytes.withUnsafeBytes { run($0) }
                count += 1
            }
        }
        print("\(name): replayed \(count) inputs")
        return 0
    #endif
}

func fail(_ message: String) -> Never {
    fputs(message + "\n", stderr)
    exit(2)
}

/// `path` itself, or the regular files directly inside it, sorted.
func filesAt(_ path: String) -> [String] {
    guard let d = opendir(path) else { return [path] }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if name.hasPrefix(".") { continue }
        var st = stat()
        if stat("\(path)/\(name)", &st) == 0, st.st_mode & S_IFMT == S_IFREG { names.append(name) }
    }
    return names.sorted().map { "\(path)/\($0)" }
}

func readFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n <= 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
    return out
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    guard let f = fopen(path, "wb") else { fail("cannot write \(path)") }
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    fclose(f)
}

#if FUZZING
    /// The harness body, for the C callback (which cannot capture).
    nonisolated(unsafe) var harnessBody: (UnsafeRawBufferPointer) -> Void = { _ in }

    /// libFuzzer's driver (compiler-rt FuzzerDriver.cpp), linked in by `-sanitize=fuzzer`.
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32
#endif

/// A private scratch directory under $TMPDIR holding one 1 MiB file, the
/// only file a harness lets an aio bdev open.
public struct ScratchFile {
    public let directory: String
    public let path: String

    public init(harness: String, fileName: String) {
        let tmp = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(tmp)/\(harness).XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { fatalError("mkdtemp failed") }
        directory = String(cString: dir)
        path = "\(directory)/\(fileName)"
        let fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0o600)
        guard fd >= 0, ftruncate(fd, 1 << 20) == 0 else { fatalError("cannot create \(path)") }
        close(fd)
    }
}
