import XenMigrationFormat
import XenMigrationIO
import XendConfig

/// The front of an xend `xm save` image: signature, length, domain config.
extension Conversion {
    /// Reads an xend image's header (the input starts with one): the guest
    /// type comes from its config, and libxl output gets an `xl save`
    /// header holding the xl.cfg translation (or the config given in
    /// `options.replacementConfig`).
    func readXendFront(_ reader: FrontReader) throws(StreamError) -> Front {
        // An explicit -x says there is an xl header: an xend image has none.
        if options.xlHeader == true {
            throw StreamError(
                .malformed, "Input is an xend `xm save` image, which has no xl header: drop `-x`",
                offset: 0)
        }
        let domain = try reader.xendDomain()
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
        info(VerboseText.xendImage(configBytes: reader.offset &- UInt64(Xend.magic.count + 4)))
        info(xl?.summary ?? XLConfig.summary(domain))
        for note in xl?.untranslated ?? [] { info(VerboseText.xendUntranslated(note.description)) }
        if isLibxl { try records.writeUnframed(Xend.xlSaveHeader(config: config)) }
        return .xend(guest: guest, config: DomainConfig(bytes: config, isJSON: false))
    }

    private func guestName(_ guest: GuestType) -> String { guest == .pv ? " PV" : "n HVM" }
}
