// libFuzzer target: xend configurations (`xm save` images).
//
// Byte 0 chooses what the rest is: bit 0 clear, an xend configuration
// (an S-expression) parsed, read as a (domain ...) record and translated
// to xl.cfg; bit 0 set, the front of an xend image, read through a
// StreamReader (bit 1: 7 bytes a read into the smallest buffer) and then
// translated the same way. Any outcome is fine except a crash, a hang, a
// leak or unbounded memory; a translation must be text xl can read (no
// NUL, a final newline) and fit in an xl save header.
import XenMigration
import XendConfig

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let mode = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if mode & 1 == 0 {
        guard let value = try? SXP.parse(bytes, baseOffset: 1) else { return 0 }
        _ = value.description.utf8.count  // message text is code too
        guard let domain = try? XendDomainConfig(value) else { return 0 }
        check(domain)
    } else {
        let reader =
            mode & 2 != 0
            ? StreamReader(MemorySource(bytes, chunkLimit: 7), capacity: 64)
            : StreamReader(MemorySource(bytes))
        // check() translates it, as the converter does.
        guard let domain = try? Xend.readDomain(from: reader) else { return 0 }
        check(domain)
    }
    return 0
}

func check(_ domain: XendDomainConfig) {
    _ = XLConfig.summary(domain).utf8.count
    for note in domain.untranslated { _ = note.description.utf8.count }
    guard let xl = try? XLConfig(domain) else { return }
    precondition(xl.text.last == 0x0a, "xl config without a final newline")
    precondition(!xl.text.contains(0), "xl config with a NUL byte")
    guard let header = try? Xend.xlSaveHeader(config: xl.text) else {
        preconditionFailure("no xl header for the config")
    }
    precondition(header.count == 52 + xl.text.count, "xl header of the wrong size")
}
