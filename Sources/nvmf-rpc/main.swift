import Glibc
import NVMfRPCClient

// All of the tool is in NVMfRPCClient, where the tests can reach it.
exit(NVMfRPCTool.main(Array(CommandLine.arguments.dropFirst())))
