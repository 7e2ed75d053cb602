import ArgumentParser

// The block-device methods: malloc, aio and null create/delete, and
// bdev_get_bdevs. Sizes are given in MiB, as in rpc.py, and sent as blocks.

struct BdevMallocCreate: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "bdev_malloc_create", abstract: "Create a RAM block device; prints its name.")

    @Option(name: [.customShort("b"), .customLong("name")], help: "Name of the bdev.")
    var name: String?
    @Option(name: [.customShort("u"), .customLong("uuid")], help: "UUID of the bdev.")
    var uuid: String?
    @Argument(help: ArgumentHelp("Size in MiB (may be fractional).", valueName: "total_size"))
    var totalSize: Double
    @Argument(help: ArgumentHelp("Data block size in bytes.", valueName: "block_size"))
    var blockSize: Int
    @Option(name: [.customShort("p"), .customLong("physical-block-size")], help: "Physical block size in bytes.")
    var physicalBlockSize: Int?
    @Option(name: [.customShort("o"), .customLong("optimal-io-boundary")], help: "Split I/O at this many blocks.")
    var optimalIOBoundary: Int?
    @Option(name: [.customShort("m"), .customLong("md-size")], help: "Metadata size per block (0 only here).")
    var mdSize: Int?
    @Flag(name: [.customShort("i"), .customLong("md-interleave")], help: "Interleave metadata with data.")
    var mdInterleave = false
    @Option(name: [.customShort("t"), .customLong("dif-type")], help: "Protection information type (0 only here).")
    var difType: Int?
    @Flag(name: [.customShort("d"), .customLong("dif-is-head-of-md")], help: "PI in the first 8 bytes of metadata.")
    var difIsHeadOfMD = false

    func validate() throws {
        try validateChoice(difType, [0, 1, 2, 3], option: "-t/--dif-type")
        // rpc.py divides by it (and dies with a Python traceback on 0).
        guard blockSize > 0 else { throw ValidationError("argument block_size: must be positive, not \(blockSize)") }
    }

    func call() throws -> RPCCall {
        // Python's float floor division, then int().
        let blocks = (totalSize * 1024 * 1024 / Double(blockSize)).rounded(.down)
        guard let numBlocks = Int(exactly: blocks) else {
            throw ValidationError("argument total_size: \(totalSize) MiB is not a usable size")
        }
        var p = RPCParams()
        p.add("num_blocks", .int(numBlocks))
        p.add("block_size", .int(blockSize))
        p.addIfTrue("physical_block_size", physicalBlockSize)
        p.addIfTrue("name", name)
        p.addIfTrue("uuid", uuid)
        p.addIfTrue("optimal_io_boundary", optimalIOBoundary)
        p.addIfTrue("md_size", mdSize)
        p.addIfTrue("md_interleave", mdInterleave)
        p.addIfTrue("dif_type", difType)
        p.addIfTrue("dif_is_head_of_md", difIsHeadOfMD)
        return RPCCall("bdev_malloc_create", p, output: .json)
    }
}

struct BdevNullCreate: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "bdev_null_create", abstract: "Create a null block device (reads zeroes); prints its name.")

    @Argument(help: ArgumentHelp("Name of the bdev.", valueName: "name"))
    var name: String
    @Option(name: [.customShort("u"), .customLong("uuid")], help: "UUID of the bdev.")
    var uuid: String?
    @Argument(help: ArgumentHelp("Size in MiB of the data blocks.", valueName: "total_size"))
    var totalSize: Int
    @Argument(help: ArgumentHelp("Data block size in bytes.", valueName: "block_size"))
    var blockSize: Int
    @Option(name: [.customShort("p"), .customLong("physical-block-size")], help: "Physical block size in bytes.")
    var physicalBlockSize: Int?
    @Option(name: [.customShort("m"), .customLong("md-size")], help: "Metadata size per block (0 only here).")
    var mdSize: Int?
    @Option(name: [.customShort("t"), .customLong("dif-type")], help: "Protection information type (0 only here).")
    var difType: Int?
    @Flag(name: [.customShort("d"), .customLong("dif-is-head-of-md")], help: "PI in the first 8 bytes of metadata.")
    var difIsHeadOfMD = false

    func validate() throws {
        try validateChoice(difType, [0, 1, 2, 3], option: "-t/--dif-type")
        guard blockSize > 0 else { throw ValidationError("argument block_size: must be positive, not \(blockSize)") }
        // rpc.py's own check, before anything is sent.
        if let difType, difType != 0, (mdSize ?? 0) == 0 {
            throw ValidationError("--md-size must be > 0 when --dif-type is > 0")
        }
    }

    func call() throws -> RPCCall {
        let (bytes, overflow) = totalSize.multipliedReportingOverflow(by: 1024 * 1024)
        guard !overflow else { throw ValidationError("argument total_size: \(totalSize) MiB is too large") }
        var p = RPCParams()
        p.add("name", .string(name))
        // Python's integer floor division (it rounds toward minus infinity).
        let quotient = bytes / blockSize - (bytes % blockSize < 0 ? 1 : 0)
        p.add("num_blocks", .int(quotient))
        p.add("block_size", .int(blockSize))
        p.addIfTrue("physical_block_size", physicalBlockSize)
        p.addIfTrue("uuid", uuid)
        p.addIfTrue("md_size", mdSize)
        p.addIfTrue("dif_type", difType)
        p.addIfTrue("dif_is_head_of_md", difIsHeadOfMD)
        return RPCCall("bdev_null_create", p, output: .json)
    }
}

struct BdevAioCreate: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "bdev_aio_create", abstract: "Create a block device on a file or disk via libaio; prints its name."
    )

    @Argument(help: ArgumentHelp("Path of the file or block device.", valueName: "filename"))
    var filename: String
    @Argument(help: ArgumentHelp("Name of the bdev.", valueName: "name"))
    var name: String
    @Argument(help: ArgumentHelp("Block size in bytes (default: the device's).", valueName: "block_size"))
    var blockSize: Int?
    @Flag(name: [.customShort("r"), .customLong("readonly")], help: "Open the file read-only.")
    var readonly = false

    func call() -> RPCCall {
        var p = RPCParams()
        p.add("name", .string(name))
        p.add("filename", .string(filename))
        p.addIfTrue("block_size", blockSize)
        p.addIfTrue("readonly", readonly)
        return RPCCall("bdev_aio_create", p, output: .json)
    }
}

/// bdev_malloc_delete, bdev_null_delete and bdev_aio_delete take the same
/// argument; one type per method keeps ArgumentParser's command table simple.
protocol BdevDelete: RPCSubcommand {
    var name: String { get }
}

extension BdevDelete {
    func call() -> RPCCall {
        var p = RPCParams()
        p.add("name", .string(name))
        return RPCCall(Self.configuration.commandName ?? "", p)
    }
}

struct BdevMallocDelete: BdevDelete {
    static let configuration = CommandConfiguration(commandName: "bdev_malloc_delete", abstract: "Delete a RAM bdev.")
    @Argument(help: ArgumentHelp("Name of the bdev.", valueName: "name")) var name: String
}

struct BdevNullDelete: BdevDelete {
    static let configuration = CommandConfiguration(commandName: "bdev_null_delete", abstract: "Delete a null bdev.")
    @Argument(help: ArgumentHelp("Name of the bdev.", valueName: "name")) var name: String
}

struct BdevAioDelete: BdevDelete {
    static let configuration = CommandConfiguration(commandName: "bdev_aio_delete", abstract: "Delete an AIO bdev.")
    @Argument(help: ArgumentHelp("Name of the bdev.", valueName: "name")) var name: String
}

struct BdevGetBdevs: RPCSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "bdev_get_bdevs", abstract: "List the block devices, or the one named.")

    @Option(name: [.customShort("b"), .customLong("name")], help: "Only this bdev.")
    var name: String?
    @Option(name: [.customShort("t"), .customLong("timeout-ms")], help: "How long to wait for the named bdev (ms).")
    var timeoutMS: Int?

    func call() -> RPCCall {
        var p = RPCParams()
        p.addIfTrue("name", name)
        p.addIfTrue("timeout", timeoutMS)
        return RPCCall("bdev_get_bdevs", p, output: .dict)
    }
}
