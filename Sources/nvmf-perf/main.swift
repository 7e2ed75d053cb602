import NVMfPerf

NVMfPerfCommand.main()
