import TangentCLI

TangentCLI.main()
