import XenMigrationFormat

/// Writes the libxl records (docs/specs/libxl-migration-stream) that wrap a
/// converted libxc stream.
package struct LibxlOutput {
    package let records: RecordWriter

    package init(records: RecordWriter) { self.records = records }

    /// The stream header, then LIBXC_CONTEXT: the libxc stream follows.
    package func headerAndLibxcContext() throws(StreamError) {
        try records.writeUnframed(Libxl.Header.legacyConverted.bytes)
        try records.write(Libxl.RecordType.libxcContext)
    }

    /// EMULATOR_XENSTORE_DATA: NUL-terminated key/value strings.
    package func emulatorXenstoreData(_ data: [UInt8]) throws(StreamError) {
        var body = RecordBody()
        body.append(WordPair(Libxl.EmulatorID.unknown.rawValue, 0).bytes)
        body.append(data)
        try records.write(Libxl.RecordType.emulatorXenstoreData, body.bytes)
    }

    /// EMULATOR_CONTEXT: the emulator header, then the device model state;
    /// the caller has checked that both fit in one record.
    package func emulatorContext(_ state: RecordWriter.Run) throws(StreamError) {
        try records.write(
            Libxl.RecordType.emulatorContext, fields: WordPair(Libxl.EmulatorID.unknown.rawValue, 0), then: state)
    }

    package func end() throws(StreamError) { try records.write(Libxl.RecordType.end) }
}
