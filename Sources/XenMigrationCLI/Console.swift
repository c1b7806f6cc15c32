import SystemPackage
import XenMigration

/// Where a tool's messages go: verbose lines to standard output (one write
/// per line, as a line-buffered stream would), errors to standard error, or
/// both to syslog when asked.
final class Console {
    let verbose: Bool
    let quiet: Bool
    let syslogIdent: String?

    init(verbose: Bool, quiet: Bool = false, syslogIdent: String? = nil) {
        self.verbose = verbose
        self.quiet = quiet
        self.syslogIdent = syslogIdent
        if let syslogIdent {
            // openlog keeps the pointer: give it storage that lives as long as the process.
            let ident = strdup(syslogIdent)
            // LOG_NDELAY: connect now, before the sandbox forbids making sockets.
            openlog(ident, LOG_PID | LOG_NDELAY, LOG_USER)
        }
    }

    /// The converter's and verifier's verbose sink, or nil when not verbose.
    var infoSink: ((String) -> Void)? {
        guard verbose && !quiet else { return nil }
        return { [self] line in self.info(line) }
    }

    func info(_ line: String) {
        guard verbose && !quiet else { return }
        if syslogIdent != nil {
            for part in line.split(separator: "\n", omittingEmptySubsequences: false) {
                Console.syslog(LOG_INFO, String(part))
            }
        } else {
            Console.write(line + "\n", to: .standardOutput)
        }
    }

    func error(_ line: String) {
        guard !quiet else { return }
        if syslogIdent != nil { Console.syslog(LOG_ERR, line) }
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

    private static func syslog(_ priority: Int32, _ message: String) {
        message.withCString { cstr in
            withVaList([cstr]) { vsyslog(priority, "%s", $0) }
        }
    }
}
