/// Why an xend configuration cannot be read or translated, and where.
///
/// The converter turns it into its own stream error at the one place it
/// reads an `xm save` image's configuration; this module knows nothing of
/// streams.
public struct XendConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The configuration is not what xend wrote, or holds a value xl
        /// cannot take.
        case malformed
        /// Something xend had that xl does not (a blktap driver, an image type).
        case unsupported
    }

    public var kind: Kind
    /// One line, without the offset.
    public var message: String
    /// Input offset of the value at fault, when known.
    public var offset: UInt64?

    package init(_ kind: Kind, _ message: String, offset: UInt64? = nil) {
        self.kind = kind
        self.message = message
        self.offset = offset
    }

    public var description: String {
        offset.map { "\(message) (at input offset \($0))" } ?? message
    }
}

/// `value` in lower-case hex, zero-padded to `width` digits.
func hex<T: BinaryInteger>(_ value: T, width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// The guest an xend configuration describes: `(image (linux ...))` is
/// PV, `(image (hvm ...))` HVM.
public enum XendGuestType: String, Sendable, Equatable {
    case pv, hvm
}
