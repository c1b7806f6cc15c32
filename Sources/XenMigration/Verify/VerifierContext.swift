/// What a verifier works with: the input, how it drops bytes it does not
/// check, and where verbose lines go. Shared by the libxl verifier and the
/// libxc verifier it runs inside.
struct VerifierContext {
    let transfer: Transfer
    let verbose: ((String) -> Void)?
    var reader: StreamReader { transfer.reader }

    init(reader: StreamReader, allowZeroCopy: Bool, verbose: ((String) -> Void)?) {
        transfer = Transfer(discardingFrom: reader, allowZeroCopy: allowZeroCopy)
        self.verbose = verbose
    }

    @inline(__always)
    func info(_ line: @autoclosure () -> String) {
        if let verbose { verbose(line()) }
    }

    /// The body of the record whose header was just read.
    func body(_ type: String, length: UInt32, recordOffset: UInt64, isLast: Bool) -> RecordBodyReader {
        RecordBodyReader(transfer: transfer, type: type, length: length, recordOffset: recordOffset, isLast: isLast)
    }
}
