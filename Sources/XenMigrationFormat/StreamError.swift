import SystemPackage

/// Everything that can go wrong with a stream, with the input offset where
/// it was found.
public struct StreamError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The stream breaks a rule of its format.
        case malformed
        /// The input ended inside a field or record.
        case truncated
        /// Valid, but uses something this converter does not convert
        /// (tmem, Remus compression, an unknown device model signature).
        case unsupported
        /// A read or write failed, or a file could not be opened.
        case io
    }

    public var kind: Kind
    public var message: String
    /// Input byte offset at which the problem was found, when known.
    public var offset: UInt64?
    /// The system's error, for `.io`.
    public var errno: Errno?

    public init(_ kind: Kind, _ message: String, offset: UInt64? = nil) {
        self.kind = kind
        self.message = message
        self.offset = offset
    }

    /// A failed system call: `what: <errno description>`.
    public init(io what: String, _ errno: Errno) {
        self.init(.io, "\(what): \(errno)")
        self.errno = errno
    }

    /// A failed operation of swift-system's, whose errors are `Errno`.
    package init(io what: String, _ error: any Error) {
        if let errno = error as? Errno {
            self.init(io: what, errno)
        } else {
            self.init(.io, "\(what): \(error)")
        }
    }

    /// One line: what is wrong and where.
    public var description: String {
        guard let offset, kind != .truncated else { return message }
        return "\(message) (at input offset \(offset))"
    }
}
