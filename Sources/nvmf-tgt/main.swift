NVMfTgt.main()
