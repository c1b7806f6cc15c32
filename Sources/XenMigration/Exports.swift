// The library as one module: its layers, each a target of its own (see
// CONTRIBUTING's layer table), re-exported so that `import XenMigration`
// gives a caller all of them.

@_exported import XenMigrationConvert
@_exported import XenMigrationDiagnosis
@_exported import XenMigrationFormat
@_exported import XenMigrationIO
@_exported import XenMigrationVerify
