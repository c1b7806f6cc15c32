import SystemPackage
import XenHost
import XenMigration

/// Where a tool's messages go: verbose lines to standard output (one write
/// per line, as a line-buffered stream would), errors to standard error, or
/// both to syslog when asked.
package final class Console {
    let verbose: Bool
    let quiet: Bool
    let syslogIdent: String?

    init(verbose: Bool, quiet: Bool = false, syslogIdent: String? = nil) {
        self.verbose = verbose
        self.quiet = quiet
        self.syslogIdent = syslogIdent
        if let syslogIdent { Host.openSyslog(syslogIdent) }
    }

    /// The converter's and verifier's verbose sink, or nil when not verbose.
    var infoSink: ((VerboseLine) -> Void)? {
        guard verbose && !quiet else { return nil }
        return { [self] line in self.info(line) }
    }

    func info(_ line: VerboseLine) {
        guard verbose && !quiet else { return }
        // Bytes quoted from the input go out as they came.
        let bytes = line.bytes
        if syslogIdent != nil {
            for part in bytes.split(separator: 0x0a, omittingEmptySubsequences: false) {
                Host.syslog(.info, Array(part))
            }
        } else {
            // Through the library's sink: one EINTR and EAGAIN policy (Host.whenReady).
            let sink = FileDescriptorSink(.standardOutput)
            try? (bytes + [0x0a]).withUnsafeBytes { try sink.write($0) }
        }
    }

    func error(_ line: String) {
        guard !quiet else { return }
        if syslogIdent != nil { Host.syslog(.error, Array(line.utf8)) }
        Console.write(line + "\n", to: .standardError)
    }

    /// A notice that is not an error (the sandbox unavailable): where errors go.
    func note(_ line: String) { error(line) }

    /// Writes all of `text`, waiting if `fd` is non-blocking; errors are dropped.
    static func write(_ text: String, to fd: FileDescriptor) {
        var text = text
        text.withUTF8 { bytes in
            try? FileDescriptorSink(fd).write(UnsafeRawBufferPointer(bytes))
        }
    }
}
