import XenMigrationFormat
import XenMigrationIO

/// What a verifier works with: the input, how it drops bytes it does not
/// check, and where verbose lines go. Shared by the libxl verifier and the
/// libxc verifier it runs inside.
struct VerifierContext {
    let records: RecordReader
    var transfer: Transfer { records.transfer }
    let verbose: ((VerboseLine) -> Void)?
    /// Told the input offset after each header and record.
    let boundaries: ((UInt64) -> Void)?
    var reader: StreamReader { transfer.reader }

    init(
        reader: StreamReader, allowZeroCopy: Bool, verbose: ((VerboseLine) -> Void)?,
        boundaries: ((UInt64) -> Void)? = nil
    ) {
        records = RecordReader(transfer: Transfer(discardingFrom: reader, allowZeroCopy: allowZeroCopy))
        self.verbose = verbose
        self.boundaries = boundaries
    }

    /// A header or record ends here.
    func boundary() { boundaries?(reader.offset) }

    @inline(__always)
    func info(_ line: @autoclosure () -> String) {
        if let verbose { verbose(VerboseLine(line())) }
    }
}
