import XenMigrationFormat
import XenMigrationIO

/// Checks a whole stream of the given format.
public enum StreamVerifier {
    /// Checks the stream up to its last record and leaves the input just
    /// after it. `boundaries` is told where the stream starts and where
    /// each header and record ends, as the verifier reaches them.
    public static func verify(
        reader: StreamReader, format: VerifyFormat, allowZeroCopy: Bool = true,
        verbose: ((VerboseLine) -> Void)? = nil, boundaries: ((_ offset: UInt64) -> Void)? = nil
    ) throws(StreamError) {
        let context = VerifierContext(
            reader: reader, allowZeroCopy: allowZeroCopy, verbose: verbose, boundaries: boundaries)
        context.boundary()
        var format = format
        if format == .xl {
            let header = try XL.Header.read(from: reader)
            try context.transfer.discard(UInt64(header.optionalDataLength), "xl header optional data")
            context.boundary()
            context.info(VerifierText.processedXLHeader)
            format = header.mandatoryFlags & XL.mandatoryFlagStreamV2 != 0 ? .libxl : .libxc
        }
        if format == .libxc {
            try LibxcVerifier(context: context).verify()
        } else {
            try LibxlVerifier(context: context).verify()
        }
        try reader.releaseUnread()
    }
}
