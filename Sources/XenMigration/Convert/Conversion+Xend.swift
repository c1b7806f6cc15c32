import XendConfig

/// The fronts of an image that come before the legacy stream: an xend
/// `xm save` header (signature, length, domain config), and the config an
/// `xl save` header carries in its optional data.
extension Conversion {
    /// Reads an xend image's header when the input starts with one: the
    /// guest type comes from its config, and libxl output gets an `xl save`
    /// header holding the xl.cfg translation (or the config given in
    /// `options.replacementConfig`). True when the input was an xend image.
    func convertXendHeader() throws(StreamError) -> Bool {
        guard try input.peek(Xend.magic.count) == Xend.magic else {
            if options.replacementConfig != nil {
                throw StreamError(
                    .malformed, "Input is not an xend `xm save` image: only those take a replacement config",
                    offset: 0)
            }
            return false
        }
        // An explicit -x says there is an xl header: an xend image has none.
        if options.xlHeader == true {
            throw StreamError(
                .malformed, "Input is an xend `xm save` image, which has no xl header: drop `-x`",
                offset: 0)
        }
        let domain = try Xend.readDomain(from: input)
        // With a replacement config the translation is only for -v: what xl
        // cannot take (a blktap driver it lacks) does not stop the conversion.
        let xl: XLConfig?
        let config: [UInt8]
        if let replacement = options.replacementConfig {
            xl = try? Xend.translate(domain)
            config = replacement
        } else {
            let translated = try Xend.translate(domain)
            xl = translated
            config = translated.text
        }
        let guest = GuestType(domain.guest)
        if let given = options.guest, given != guest {
            throw StreamError(
                .malformed,
                "xend image of a\(guestName(guest)) guest (its config says image "
                    + (guest == .pv ? "linux" : "hvm") + "), but the guest type given is "
                    + "\(given.rawValue): use `-g \(guest.rawValue)` or `--auto`", offset: domain.offset)
        }
        xendGuest = guest
        input.markImageStart()

        report.source = "xend"
        report.xlHeader = false
        report.guestType = guest
        report.configBytes = config
        report.xlConfig = String(decoding: config, as: UTF8.self)
        if options.guest == nil { report.detected.append("guest type") }
        info(VerboseText.xendImage(configBytes: input.offset &- UInt64(Xend.magic.count + 4)))
        info(xl?.summary ?? XLConfig.summary(domain))
        for note in xl?.untranslated ?? [] { info(VerboseText.xendUntranslated(note.description)) }
        if isLibxl { try Xend.writeXLSaveHeader(config: config, to: records.output) }
        return true
    }

    private func guestName(_ guest: GuestType) -> String { guest == .pv ? " PV" : "n HVM" }

    /// Copies an `xl save` header's optional data, keeping the config in it
    /// (a uint32 length, then the config: xl.cfg text, or libxl JSON when
    /// the JSON flag is set) for the report. Optional data over the config
    /// bound streams through and is not kept.
    func copyXLOptionalData(_ header: XL.Header) throws(StreamError) {
        let length = UInt64(header.optionalDataLength)
        guard length > 0, length <= UInt64(Xend.maxConfigLength) + 4 else {
            try transfer.copy(length, "xl header optional data")
            return
        }
        let data = try input.readBytes(Int(length), "xl header optional data")
        try records.output.write(data)
        guard let configLength = ByteCursor(data).peek(UInt32.self, at: 0).map(UInt64.init) else {
            report.configBytes = data
            report.xlConfig = String(decoding: data, as: UTF8.self)
            return
        }
        // Without a length that fits, the optional data is kept whole (some
        // writers put the config there bare).
        let config = configLength <= length - 4 ? Array(data[4..<(4 + Int(configLength))]) : data
        report.configBytes = config
        report.xlConfig = String(decoding: config, as: UTF8.self)
        report.configIsJSON = header.mandatoryFlags & XL.mandatoryFlagJSON != 0
    }
}
