import XenMigrationCLI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// convert-legacy-stream, or verify-stream-v2 when run by that name.
exit(MultiCall.main(CommandLine.arguments))
