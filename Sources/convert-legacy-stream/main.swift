import XenMigrationCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

exit(ConvertCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
