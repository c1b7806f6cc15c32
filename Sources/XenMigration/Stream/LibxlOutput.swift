/// Writes the libxl records (docs/specs/libxl-migration-stream) that wrap a
/// converted libxc stream.
struct LibxlOutput {
    let records: RecordWriter
    var output: StreamWriter { records.output }

    /// The stream header, then LIBXC_CONTEXT: the libxc stream follows.
    func headerAndLibxcContext() throws(StreamError) {
        try Libxl.writeHeader(to: output)
        try records.write(Libxl.RecordType.libxcContext)
    }

    /// EMULATOR_XENSTORE_DATA: NUL-terminated key/value strings.
    func emulatorXenstoreData(_ data: [UInt8]) throws(StreamError) {
        var body = RecordBody()
        body.u32(Libxl.EmulatorID.unknown.rawValue)
        body.u32(0)
        body.append(data)
        try records.write(Libxl.RecordType.emulatorXenstoreData, body.bytes)
    }

    /// EMULATOR_CONTEXT: the emulator header, then `length` bytes of device
    /// model state written by `state`.
    func emulatorContext(length: UInt64, _ state: (StreamWriter) throws(StreamError) -> Void) throws(StreamError) {
        let header = UInt64(Libxl.emulatorHeaderSize)
        try records.write(Libxl.RecordType.emulatorContext, length: header &+ length) { (output) throws(StreamError) in
            try output.u32(Libxl.EmulatorID.unknown.rawValue)
            try output.u32(0)
            try state(output)
        }
    }

    func end() throws(StreamError) { try records.write(Libxl.RecordType.end) }
}
