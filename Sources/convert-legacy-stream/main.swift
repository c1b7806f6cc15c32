import XenMigrationCLI

// convert-legacy-stream, or verify-stream-v2 when run by that name.
exit(MultiCall.main(CommandLine.arguments))
