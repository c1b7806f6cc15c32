/// Turns a failure into a message that says what the input really is and
/// which option fixes it, when the input's first bytes tell.
public enum Diagnosis {
    /// For a failed conversion: nil when the input is what the options
    /// say (the stream's own error stands), else a one-line error that
    /// replaces it. A wrong width or guest type is a bad stream for those
    /// options (`.malformed`), whatever the parser tripped on.
    public static func conversion(_ error: StreamError, head: [UInt8], options: ConversionOptions) -> StreamError? {
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
            guard options.xlHeader == false else { return nil }
            return explained("add `-x` (or use `--auto`)")
        case .xendImage:
            return nil
        case .legacy(let width, let guest):
            guard options.xlHeader != true else { return explained("it has no xl header; drop `-x`") }
            return mismatch(detected: (width, guest), options: options).map(explained)
        case .unknown:
            return nil
        }
    }

    /// A legacy image whose given width or guest type detection disagrees
    /// with: the option to change, or nil. Octets 4-7 are zero only in a
    /// 64-bit image (a 32-bit image's first body marker is never the end
    /// marker), and the markers that follow tell PV from HVM.
    private static func mismatch(detected: (ToolstackWidth, GuestType), options: ConversionOptions) -> String? {
        let (width, guest) = detected
        if let given = options.width, given != width {
            return "it looks like a \(width.rawValue)-bit toolstack image: try `-w \(width.rawValue)` or `--auto`"
        }
        if let given = options.guest, given != guest {
            return "it looks like a\(guest == .pv ? " PV" : "n HVM") guest: try `-g \(guest.rawValue)` or `--auto`"
        }
        return nil
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
