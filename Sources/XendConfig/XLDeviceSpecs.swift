/// xl's device specification strings (xl-disk-configuration(5),
/// xl-network-configuration(5), xl-pci-configuration(5), xl.cfg(5) vfb)
/// made from xend's devices.
enum XLDeviceSpecs {
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// A `key=value` field of a comma-separated spec: xl splits at every
    /// comma, so a value holding one cannot be written.
    static func field(_ key: String, _ value: [UInt8], in what: String, _ w: XLWriter) throws(XendConfigError)
        -> [UInt8]
    {
        if value.contains(UInt8(ascii: ",")) || value.contains(0) || value.contains(0x0a) {
            throw w.malformed(
                "\(what) \(key) \"\(SXP.printable(value, escapingQuote: true))\" holds a comma, NUL or newline, which xl's \(what) syntax cannot carry"
            )
        }
        return bytes(key) + [UInt8(ascii: "=")] + value
    }

    static func joined(_ fields: [[UInt8]]) -> [UInt8] {
        Array(fields.joined(separator: [UInt8(ascii: ",")]))
    }

    // MARK: disks

    /// blktap drivers and the image formats xl gives them.
    static let tapFormats: [String: String] = [
        "aio": "raw", "sync": "raw", "qcow": "qcow", "qcow2": "qcow2", "vhd": "vhd",
    ]

    static func disks(_ c: XendDomainConfig, _ w: inout XLWriter) throws(XendConfigError) {
        var specs: [[UInt8]] = []
        var perClass: [String: Int] = [:]
        for (index, disk) in c.disks.enumerated() {
            let what = "disk \(index) (\(SXP.printable(disk.dev)))"
            // Named as in the record's notes: "device tap 1" is the second tap.
            let label = "device \(disk.deviceClass) \(perClass[disk.deviceClass, default: 0])"
            perClass[disk.deviceClass, default: 0] += 1
            let vdev = disk.vdev
            guard !vdev.isEmpty else { throw w.malformed("\(what) has no device name") }
            var format = "raw"
            var script: [UInt8]?
            var target: [UInt8] = []
            let cdrom = disk.isCDROM
            if let uname = disk.uname, !uname.isEmpty {
                guard let colon = uname.firstIndex(of: UInt8(ascii: ":")) else {
                    throw w.malformed(
                        "\(what) uname \"\(SXP.printable(uname, escapingQuote: true))\" has no type: prefix")
                }
                let scheme = String(decoding: uname[..<colon], as: UTF8.self)
                var rest = Array(uname[(colon + 1)...])
                switch scheme {
                case "phy", "file":
                    target = rest
                case "tap", "tap2":
                    var subtype: String?
                    for prefix in ["tapdisk", "ioemu"] where rest.starts(with: (prefix + ":").utf8) {
                        rest.removeFirst(prefix.utf8.count + 1)
                        subtype = prefix
                    }
                    // `tap:ioemu:PATH`: xend read "ioemu" as the driver (qemu-dm opens the file).
                    let driverEnd = rest.firstIndex(of: UInt8(ascii: ":"))
                    guard driverEnd != nil || subtype == "ioemu" else {
                        throw w.malformed(
                            "\(what) uname \"\(SXP.printable(uname, escapingQuote: true))\" names no blktap driver")
                    }
                    let driver = driverEnd.map { String(decoding: rest[..<$0], as: UTF8.self) } ?? "ioemu"
                    guard let f = tapFormats[driver] else {
                        throw XendConfigError(
                            .unsupported,
                            "xend disk \(SXP.printable(vdev)) uses blktap driver '\(driver)', which xl does not have",
                            offset: c.offset)
                    }
                    format = f
                    target = driverEnd.map { Array(rest[($0 + 1)...]) } ?? rest
                default:
                    script = bytes("block-" + scheme)
                    target = rest
                }
            } else if !cdrom {
                throw w.malformed("\(what) has no uname (only a CD-ROM drive may be empty)")
            } else {
                format = "empty"
            }
            if target.contains(0) || target.contains(0x0a) || target.last == UInt8(ascii: ",") {
                throw w.malformed(
                    "\(what) target \"\(SXP.printable(target, escapingQuote: true))\" holds a NUL or newline or ends in a comma, which xl's disk syntax cannot carry"
                )
            }
            let access: String
            switch disk.mode.map({ String(decoding: $0, as: UTF8.self) }) {
            case nil, "r", "ro": access = "ro"
            case "w", "rw": access = cdrom ? "ro" : "rw"
            case "w!":
                access = cdrom ? "ro" : "rw"
                w.note("\(label) mode", "w!", "xl has no forced shared write access; written as rw")
            case let other?:
                throw w.malformed("\(what) mode '\(other)' is not r, w or w!")
            }
            let type = disk.deviceType
            if type != Array("disk".utf8) && type != Array("cdrom".utf8) {
                w.note("\(label) dev", SXP.printable(disk.dev), "unknown device type, written as a disk")
            }
            var fields = [bytes("format=" + format), try field("vdev", vdev, in: "disk", w), bytes("access=" + access)]
            if cdrom { fields.append(bytes("devtype=cdrom")) }
            if let backend = disk.backend { fields.append(try field("backend", backend, in: "disk", w)) }
            if let script { fields.append(try field("script", script, in: "disk", w)) }
            // target= takes the rest of the spec, commas and all: it goes last.
            fields.append(bytes("target=") + target)
            specs.append(joined(fields))
            if !disk.otherKeys.isEmpty {
                w.note(label, disk.otherKeys.joined(separator: ", "), "not used by xl")
            }
        }
        // Xen 3.0's `cdrom` key: qemu-dm's -cdrom, the IDE drive hdc.
        if let path = c.text("cdrom"), !path.isEmpty {
            if c.disks.contains(where: { $0.vdev == bytes("hdc") }) {
                w.note("image hvm cdrom", SXP.printable(path), "hdc is already one of the domain's disks")
            } else if path.contains(0) || path.contains(0x0a) {
                throw w.malformed("image cdrom holds a NUL or newline, which xl's disk syntax cannot carry")
            } else {
                specs.append(bytes("format=raw,vdev=hdc,access=ro,devtype=cdrom,target=") + path)
            }
        }
        if !specs.isEmpty { try w.list("disk", specs) }
    }

    // MARK: network

    static func vifs(_ c: XendDomainConfig, _ w: inout XLWriter) throws(XendConfigError) {
        var specs: [[UInt8]] = []
        for (index, vif) in c.vifs.enumerated() {
            let label = "device vif \(index)"
            var fields: [[UInt8]] = []
            if let mac = vif.mac {
                guard isMAC(mac) else {
                    throw w.malformed(
                        "vif \(index) mac \"\(SXP.printable(mac, escapingQuote: true))\" is not a MAC address")
                }
                fields.append(bytes("mac=") + mac)
            }
            if let v = vif.bridge { fields.append(try field("bridge", v, in: "vif", w)) }
            if c.guest == .hvm {
                switch vif.type.map({ String(decoding: $0, as: UTF8.self) }) {
                case nil: break
                case "ioemu": fields.append(bytes("type=ioemu"))
                case "netfront", "vif": fields.append(bytes("type=vif"))
                case let other?: w.note("\(label) type", other, "unknown vif type; xl's default (ioemu) applies")
                }
                if let v = vif.model { fields.append(try field("model", v, in: "vif", w)) }
            } else {
                for (key, value) in [("type", vif.type), ("model", vif.model)] {
                    if let value {
                        w.note("\(label) \(key)", SXP.printable(value), "emulated NICs are for HVM guests only")
                    }
                }
            }
            if let v = vif.script { fields.append(try field("script", v, in: "vif", w)) }
            if let v = vif.ip { fields.append(try field("ip", v, in: "vif", w)) }
            if let v = vif.vifname { fields.append(try field("vifname", v, in: "vif", w)) }
            if let v = vif.rate {
                if let rate = xlRate(v) {
                    if !rate.isEmpty { fields.append(bytes("rate=") + rate) }
                } else {
                    w.note("\(label) rate", SXP.printable(v), "not a rate xl can take; no limit applies")
                }
            }
            if let v = vif.backend { fields.append(try field("backend", v, in: "vif", w)) }
            specs.append(joined(fields))
            if !vif.otherKeys.isEmpty { w.note(label, vif.otherKeys.joined(separator: ", "), "not used by xl") }
        }
        if !specs.isEmpty { try w.list("vif", specs) }
    }

    static func isMAC(_ mac: [UInt8]) -> Bool {
        guard mac.count == 17 else { return false }
        return mac.enumerated().allSatisfy { i, b in i % 3 == 2 ? b == UInt8(ascii: ":") : SXP.hexDigit(b) != nil }
    }

    /// xl's `RATE/s[@INTERVAL]` for xend's rate: given in that form
    /// already, or `B,U` (B bytes every U µs; `4294967295,0` is no limit,
    /// given back as empty). nil when it is neither.
    static func xlRate(_ rate: [UInt8]) -> [UInt8]? {
        let text = String(decoding: rate, as: UTF8.self)
        if isXLRate(text) { return rate }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let perInterval = UInt64(parts[0]), let usecs = UInt64(parts[1]) else { return nil }
        if perInterval == 0xffff_ffff && usecs == 0 { return [] }
        guard perInterval > 0, perInterval <= 0xffff_ffff, usecs > 0, usecs <= 0xffff_ffff else { return nil }
        // Bytes a second, rounded up so xl's (bytes * usecs / 10^6) gives perInterval back.
        let (product, overflow) = perInterval.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow else { return nil }
        let perSecond = (product + usecs - 1) / usecs
        guard perSecond <= 0xffff_ffff else { return nil }
        return bytes("\(perSecond)B/s@\(usecs)us")
    }

    /// `^[0-9]+[GMK]?[Bb]/s(@[0-9]+[mu]?s?)?$`, as xl checks it, without leading zeros.
    static func isXLRate(_ text: String) -> Bool {
        let pieces = text.split(separator: "@", omittingEmptySubsequences: false)
        guard pieces.count <= 2 else { return false }
        var rate = Substring(pieces[0])
        guard rate.hasSuffix("/s") else { return false }
        rate = rate.dropLast(2)
        guard let unit = rate.last, unit == "B" || unit == "b" else { return false }
        rate = rate.dropLast()
        if let scale = rate.last, "GMK".contains(scale) { rate = rate.dropLast() }
        guard isDecimal(rate) else { return false }
        guard pieces.count == 2 else { return true }
        var interval = Substring(pieces[1])
        if interval.last == "s" { interval = interval.dropLast() }
        if let scale = interval.last, scale == "m" || scale == "u" { interval = interval.dropLast() }
        return isDecimal(interval)
    }

    static func isDecimal(_ s: Substring) -> Bool {
        !s.isEmpty && s.allSatisfy { $0 >= "0" && $0 <= "9" } && (s.count == 1 || s.first != "0")
    }

    // MARK: framebuffers and PCI

    static func vfbs(_ c: XendDomainConfig, _ w: inout XLWriter) throws(XendConfigError) {
        var specs: [[UInt8]] = []
        for (index, vfb) in c.vfbs.enumerated() {
            var fields: [[UInt8]] = []
            for key in XendVFB.keys {
                if let v = vfb.settings[key] { fields.append(try field(key, v, in: "vfb", w)) }
            }
            specs.append(joined(fields))
            if !vfb.otherKeys.isEmpty {
                w.note("device vfb \(index)", vfb.otherKeys.joined(separator: ", "), "not used by xl")
            }
        }
        if !specs.isEmpty { try w.list("vfb", specs) }
    }

    /// HVM display: the image's keys, else the first vfb's (xend made a
    /// vfb out of the image's vnc keys); `vnc` always written.
    static func hvmDisplay(_ c: XendDomainConfig, _ w: inout XLWriter) throws(XendConfigError) {
        let vfb = c.vfbs.first?.settings ?? [:]
        func flag(_ key: String) -> Bool? {
            c.flag(key) ?? vfb[key].flatMap { XendDomainConfig.boolean(SXP(.atom($0))) }
        }
        w.flag("vnc", flag("vnc") ?? false)
        for key in ["vnclisten", "vncpasswd", "keymap", "display", "xauthority"] {
            if let v = c.text(key) ?? vfb[key] { try w.string(key, v) }
        }
        if let v = c.number("vncdisplay") ?? vfb["vncdisplay"].flatMap({ XendDomainConfig.integer(SXP(.atom($0))) }) {
            w.number("vncdisplay", v)
        }
        for key in ["vncunused", "sdl", "opengl"] {
            if let v = flag(key) { w.flag(key, v) }
        }
        for (index, other) in c.vfbs.enumerated() {
            w.note(
                "device vfb \(index)", other.settings.keys.sorted().joined(separator: ", "),
                index == 0
                    ? "an HVM guest's display is set by the top-level vnc/sdl keys (written above)"
                    : "xl gives an HVM guest one display")
        }
    }

    static let pciOptions: Set<String> = ["msitranslate", "power_mgmt", "permissive", "seize", "rdm_policy"]

    static func pci(_ c: XendDomainConfig, _ w: inout XLWriter) throws(XendConfigError) {
        var specs: [[UInt8]] = []
        for (index, dev) in c.pciDevices.enumerated() {
            var spec =
                "\(hex(dev.domain, width: 4)):\(hex(dev.bus, width: 2)):\(hex(dev.slot, width: 2)).\(hex(dev.function, width: 1))"
            if let vslot = dev.vslot { spec += "@" + hex(vslot, width: 2) }
            var fields = [bytes(spec)]
            for (key, value) in dev.options {
                if pciOptions.contains(key) {
                    fields.append(try field(key, value, in: "pci", w))
                } else {
                    w.note("device pci \(index) \(key)", SXP.printable(value), "not an option xl knows")
                }
            }
            specs.append(joined(fields))
        }
        if !specs.isEmpty { try w.list("pci", specs) }
    }
}
