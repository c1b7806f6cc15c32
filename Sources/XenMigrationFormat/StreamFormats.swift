// The names of the streams the tools write and check: shared by the
// converter, the verifier and the report, so they live below all three.

/// The stream the converter writes.
public enum OutputFormat: String, Sendable, Codable, CaseIterable {
    /// A bare libxc stream (what `xc_domain_restore()` reads).
    case libxc
    /// A libxl stream wrapping the libxc one (what `libxl` reads).
    case libxl
}

/// What `verify-stream-v2 -f` names.
public enum VerifyFormat: String, Sendable, CaseIterable {
    case libxc, libxl, xl

    /// The format that fits a converted stream: `xl` when it starts with
    /// an `xl save` header, else the layer the conversion wrote.
    public init(converted format: OutputFormat, xlHeader: Bool) {
        self = xlHeader ? .xl : format == .libxl ? .libxl : .libxc
    }
}
