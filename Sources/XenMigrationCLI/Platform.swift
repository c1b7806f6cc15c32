// The command-line layer's one import of the C library (signals, syslog,
// file modes, exit). Exported, so that every file of this module, and the
// tool that runs it, sees it from here rather than importing it again.
#if canImport(Glibc)
    @_exported import Glibc
#elseif canImport(Musl)
    @_exported import Musl
#elseif canImport(Darwin)
    @_exported import Darwin
#endif
