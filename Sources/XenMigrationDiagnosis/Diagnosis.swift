import XenMigrationConvert
import XenMigrationFormat

extension ConversionFailure {
    /// The error to show: the diagnosis when the input is not what the
    /// options say, else the stream's own error.
    public var diagnosed: StreamError {
        Diagnosis.conversion(error, head: head, imageHead: imageHead, options: options) ?? error
    }
}

/// Turns a failure into a message that says what the input really is and
/// which option fixes it, when the input's first bytes tell.
public enum Diagnosis {
    /// For a failed conversion: nil when the input is what the options
    /// say (the stream's own error stands), else a one-line error that
    /// replaces it. A wrong width or guest type is a bad stream for those
    /// options (`.malformed`), whatever the parser tripped on.
    /// `head`: the stream's first bytes (`InputKind.head(of:)`);
    /// `imageHead`: the first bytes of the legacy image inside an xl save
    /// file or xend image (`ConversionFailure` carries both).
    public static func conversion(
        _ error: StreamError, head: [UInt8], imageHead: [UInt8] = [],
        options: ConversionOptions
    ) -> StreamError? {
        guard error.kind != .io, !head.isEmpty else { return nil }
        let kind = InputKind.identify(head)
        func explained(_ text: String) -> StreamError {
            StreamError(.malformed, "Input is \(kind.description): \(text)", offset: 0)
        }
        switch kind {
        case .libxcStream:
            return explained("it is already converted; check it with `verify-stream-v2 -f libxc`")
        case .libxlStream:
            return explained("it is already converted; check it with `verify-stream-v2 -f libxl`")
        case .xlSave(streamV2: true):
            return explained("it is already converted; check it with `verify-stream-v2 -f xl`")
        case .xlSave(streamV2: false):
            guard options.xlHeader == false else {
                // The image inside: is it what the options say?
                guard case .legacy(let width, let guest) = InputKind.identify(imageHead) else { return nil }
                return mismatch(imageHead, width, guest, options: options).map {
                    StreamError(
                        .malformed,
                        "Input looks like an xl save file holding "
                            + InputKind.legacy(width, guest).description + $0, offset: 0)
                }
            }
            return explained("add `-x` (or use `--auto`)")
        case .xendImage:
            // The legacy image after the config: is it what the options say?
            guard case .legacy(let width, let guest) = InputKind.identify(imageHead) else { return nil }
            return mismatch(imageHead, width, guest, options: options).map {
                StreamError(
                    .malformed,
                    "Input looks like an xend image holding "
                        + InputKind.legacy(width, guest).description + $0, offset: 0)
            }
        case .legacy(let width, let guest):
            guard options.xlHeader != true else { return explained("it has no xl header; drop `-x`") }
            return mismatch(head, width, guest, options: options).map {
                StreamError(.malformed, "Input looks like \(kind.description)" + $0, offset: 0)
            }
        case .unknown:
            return nil
        }
    }

    /// Where the given width or guest type cannot read the image but
    /// detection's can: what was given and the option to change
    /// (", not …: try …"), or nil. A bogus image that the given options can
    /// read keeps its own error.
    private static func mismatch(
        _ head: [UInt8], _ width: ToolstackWidth, _ guest: GuestType,
        options: ConversionOptions
    ) -> String? {
        let givenWidth = options.width ?? width
        guard !plausible(head, givenWidth, options.guest), plausible(head, width, guest) else { return nil }
        if givenWidth != width {
            return ", not a \(givenWidth.rawValue)-bit one: try `-w \(width.rawValue)` or `--auto`"
        }
        if let given = options.guest, given != guest {
            return ", not a\(given == .pv ? " PV" : "n HVM") guest: try `-g \(guest.rawValue)` or `--auto`"
        }
        return nil
    }

    /// Whether the word after `p2m_size` fits an image of this width and
    /// guest type (either, for nil), as `LegacyDetection` reads it; stricter
    /// in one way: an HVM body never starts with the end marker (it has
    /// pages).
    static func plausible(_ head: [UInt8], _ width: ToolstackWidth, _ guest: GuestType?) -> Bool {
        let start = LegacyDetection.bodyStart(head, width: width)
        let pv = start == .extendedInfo
        let hvm = start.map { if case .marker(let m) = $0 { m != 0 } else { false } } ?? false
        switch guest {
        case .pv: return pv
        case .hvm: return hvm
        case nil: return pv || hvm
        }
    }

    /// For a failed verification: a one-line error naming the input and
    /// the `-f` that fits it, or nil.
    public static func verification(_ error: StreamError, head: [UInt8], format: VerifyFormat) -> StreamError? {
        guard error.kind != .io, !head.isEmpty else { return nil }
        let kind = InputKind.identify(head)
        func explained(_ text: String) -> StreamError {
            StreamError(.malformed, "Input is \(kind.description): \(text)", offset: 0)
        }
        switch (kind, format) {
        case (.libxcStream, .libxc), (.libxlStream, .libxl), (.xlSave(streamV2: true), .xl), (.unknown, _):
            return nil
        case (.libxcStream, _): return explained("verify it with `-f libxc`")
        case (.libxlStream, _): return explained("verify it with `-f libxl`")
        case (.xlSave(streamV2: true), _): return explained("verify it with `-f xl`")
        case (.xlSave(streamV2: false), _), (.legacy, _), (.xendImage, _):
            return explained("convert it first with `convert-legacy-stream`")
        }
    }
}
