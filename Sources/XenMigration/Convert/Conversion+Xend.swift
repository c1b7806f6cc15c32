/// The front of an xend `xm save` image: signature, length, domain config.
extension Conversion {
    /// Reads an xend image's header (the input starts with one): the guest
    /// type comes from its config, and libxl output gets an `xl save`
    /// header holding the xl.cfg translation (or the config given in
    /// `options.replacementConfig`).
    func readXendFront() throws(StreamError) -> Front {
        // An explicit -x says there is an xl header: an xend image has none.
        if options.xlHeader == true {
            throw StreamError(
                .malformed, "Input is an xend `xm save` image, which has no xl header: drop `-x`",
                offset: 0)
        }
        let configuration: (domain: XendDomainConfig, xl: XLConfig)
        do {
            configuration = try Xend.readConfiguration(from: input)
        } catch {
            throw (error as? StreamError)
                ?? StreamError(.malformed, "Bad xend domain config: \(error)", offset: input.offset)
        }
        let (domain, xl) = configuration
        if let given = options.guest, given != domain.guest {
            throw StreamError(
                .malformed,
                "xend image of a\(guestName(domain.guest)) guest (its config says image "
                    + (domain.guest == .pv ? "linux" : "hvm") + "), but the guest type given is "
                    + "\(given.rawValue): use `-g \(domain.guest.rawValue)` or `--auto`", offset: domain.offset)
        }
        let config = options.replacementConfig ?? xl.text
        info(VerboseText.xendImage(configBytes: input.offset &- UInt64(Xend.magic.count + 4)))
        info(xl.summary)
        for note in xl.untranslated { info(VerboseText.xendUntranslated(note.description)) }
        if isLibxl {
            let header: [UInt8]
            do {
                header = try Xend.xlSaveHeader(config: config)
            } catch {
                throw (error as? StreamError) ?? StreamError(.malformed, "\(error)")
            }
            try records.writeUnframed(header)
        }
        return .xend(guest: domain.guest, config: DomainConfig(bytes: config, isJSON: false))
    }

    private func guestName(_ guest: GuestType) -> String { guest == .pv ? " PV" : "n HVM" }
}
