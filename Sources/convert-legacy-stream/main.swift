import XenMigrationCLI

// convert-legacy-stream, or verify-stream-v2 when run by that name.
// The arguments as the kernel passed them, not read back from /proc.
MultiCall.run(ProcessArguments.current)
