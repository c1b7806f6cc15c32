/// A disk: `(device (vbd|tap|tap2 (uname ...) (dev ...) (mode ...) ...))`.
package struct XendDisk: Sendable, Equatable {
    /// `vbd`, `tap` or `tap2`.
    package var deviceClass: String
    /// `phy:/dev/vg/guest`, `file:/images/a.img`, `tap:aio:/images/a.img`;
    /// nil or empty: no medium (an empty CD-ROM drive).
    package var uname: [UInt8]?
    /// As xend wrote it: `xvda`, `hda:disk`, `hdc:cdrom`, `ioemu:hda`.
    package var dev: [UInt8]
    /// `r`, `w` or `w!`; nil: xend's default, `r`.
    package var mode: [UInt8]?
    /// The backend domain's name, when it is not dom0.
    package var backend: [UInt8]?
    /// Keys of the device that xl does not take (uuid, bootable, protocol ...).
    package var otherKeys: [String]

    /// The guest's name for the device: `dev` without `ioemu:`, `/dev/`
    /// and the `:disk`/`:cdrom` suffix.
    package var vdev: [UInt8] { Self.split(dev).vdev }
    /// The suffix after the device name, `disk` when none.
    package var deviceType: [UInt8] { Self.split(dev).type }
    package var isCDROM: Bool { deviceType == Array("cdrom".utf8) }

    static func split(_ dev: [UInt8]) -> (vdev: [UInt8], type: [UInt8]) {
        var d = dev[...]
        if d.starts(with: "ioemu:".utf8) { d = d.dropFirst(6) }
        var type = Array("disk".utf8)
        if let colon = d.firstIndex(of: UInt8(ascii: ":")) {
            type = Array(d[(colon + 1)...])
            d = d[..<colon]
        }
        if d.starts(with: "/dev/".utf8) { d = d.dropFirst(5) }
        return (Array(d), type)
    }
}

/// A network interface: `(device (vif (mac ...) (bridge ...) ...))`.
package struct XendVIF: Sendable, Equatable {
    package var mac: [UInt8]?
    package var bridge: [UInt8]?
    package var script: [UInt8]?
    package var ip: [UInt8]?
    package var model: [UInt8]?
    /// `ioemu` (emulated and PV) or `netfront`/`vif` (PV only); HVM only.
    package var type: [UInt8]?
    /// As given (`10Mb/s@20ms`) or as a running domain reports it
    /// (`bytes,microseconds` per interval).
    package var rate: [UInt8]?
    package var vifname: [UInt8]?
    package var backend: [UInt8]?
    package var otherKeys: [String]
}

/// A virtual framebuffer: `(device (vfb (vnc 1) (vnclisten ...) ...))`.
package struct XendVFB: Sendable, Equatable {
    /// The settings xl's vfb spec knows, by xl's key (a legacy
    /// `(type vnc)` is read as `vnc 1`).
    package var settings: [String: [UInt8]]
    package var otherKeys: [String]

    /// The keys xl's vfb spec takes, in the order they are written.
    package static let keys = [
        "vnc", "sdl", "opengl", "vnclisten", "vncdisplay", "vncunused", "vncpasswd",
        "keymap", "display", "xauthority",
    ]
}

/// One passed-through PCI function from `(device (pci (dev ...) ...))`.
package struct XendPCIDevice: Sendable, Equatable {
    package var domain: UInt32
    package var bus: UInt32
    package var slot: UInt32
    package var function: UInt32
    /// The guest slot, when xend was told one (not "automatic").
    package var vslot: UInt32?
    /// `(opts (key value))` entries, in order.
    package var options: [(key: String, value: [UInt8])]

    package static func == (a: XendPCIDevice, b: XendPCIDevice) -> Bool {
        a.domain == b.domain && a.bus == b.bus && a.slot == b.slot && a.function == b.function
            && a.vslot == b.vslot && a.options.map(\.key) == b.options.map(\.key)
            && a.options.map(\.value) == b.options.map(\.value)
    }
}

/// Reads the `(device ...)` entries in order.
struct XendDevices {
    var disks: [XendDisk] = []
    var vifs: [XendVIF] = []
    var vfbs: [XendVFB] = []
    var pci: [XendPCIDevice] = []
    private var counts: [String: Int] = [:]

    static let reasons: [String: String] = [
        "vkbd": "xl adds a virtual keyboard with each vfb",
        "console": "xl sets up the guest console itself",
        "vtpm": "xl's vtpm needs a vTPM stub domain set up by hand",
        "vscsi": "PV SCSI passthrough is not translated",
        "vusb": "PV USB passthrough is not translated",
        "vif2": "netchannel2 is not supported by xl",
        "ioports": "not translated: give xl's ioports option by hand",
        "irq": "not translated: give xl's irqs option by hand",
    ]

    mutating func add(_ device: SXP, notes: inout [XendUntranslated]) throws(XendConfigError) {
        guard let items = device.items, items.count > 1, let config = items[1].items,
            let tag = config.first?.scalar
        else {
            notes.append(XendUntranslated(key: "device", value: device.description, reason: "not a device entry"))
            return
        }
        let kind = String(decoding: tag, as: UTF8.self)
        let index = counts[kind, default: 0]
        counts[kind] = index + 1
        let label = "device \(kind) \(index)"
        var pairs: [(key: String, value: [UInt8])] = []
        for item in config.dropFirst() {
            guard let entry = item.items, entry.count == 2, let key = entry[0].scalar else { continue }
            let name = String(decoding: key, as: UTF8.self)
            if let value = entry[1].scalar {
                pairs.append((name, value))
            } else if kind != "pci" {
                notes.append(
                    XendUntranslated(
                        key: "\(label) \(name)", value: entry[1].description,
                        reason: "a list where a value was expected"))
            }
        }
        func value(_ key: String) -> [UInt8]? { pairs.first { $0.key == key }?.value }
        func others(_ known: Set<String>) -> [String] {
            var seen = Set<String>()
            return pairs.map(\.key).filter { !known.contains($0) && seen.insert($0).inserted }
        }
        switch kind {
        case "vbd", "tap", "tap2":
            guard let dev = value("dev"), !dev.isEmpty else {
                throw XendConfigError(
                    .malformed, "Bad xend domain config: \(kind) \(index) has no dev", offset: items[1].offset)
            }
            disks.append(
                XendDisk(
                    deviceClass: kind, uname: value("uname"), dev: dev, mode: value("mode"),
                    backend: Self.backend(value("backend")),
                    otherKeys: others(["uname", "dev", "mode", "backend"])))
        case "vif":
            let known: Set = ["mac", "bridge", "script", "ip", "model", "type", "rate", "vifname", "backend"]
            vifs.append(
                XendVIF(
                    mac: value("mac"), bridge: value("bridge"), script: value("script"), ip: value("ip"),
                    model: value("model"), type: value("type"), rate: value("rate"),
                    vifname: value("vifname"), backend: Self.backend(value("backend")),
                    otherKeys: others(known)))
        case "vfb":
            var settings: [String: [UInt8]] = [:]
            for key in XendVFB.keys { if let v = value(key) { settings[key] = v } }
            var other = others(Set(XendVFB.keys))
            if let type = value("type"), type == Array("vnc".utf8) || type == Array("sdl".utf8) {
                settings[String(decoding: type, as: UTF8.self)] = Array("1".utf8)
                other.removeAll { $0 == "type" }
            }
            vfbs.append(XendVFB(settings: settings, otherKeys: other))
        case "pci":
            for dev in items[1].children("dev") {
                if let function = Self.pciFunction(dev) {
                    pci.append(function)
                } else {
                    notes.append(
                        XendUntranslated(key: label, value: dev.description, reason: "not a PCI device address"))
                }
            }
        default:
            notes.append(
                XendUntranslated(
                    key: label, value: items[1].description,
                    reason: Self.reasons[kind] ?? "unknown device class"))
        }
    }

    /// nil for dom0 (by id or name), else the backend's name.
    static func backend(_ value: [UInt8]?) -> [UInt8]? {
        guard let value, !value.isEmpty, value != Array("0".utf8), value != Array("Domain-0".utf8) else { return nil }
        return value
    }

    static func pciFunction(_ dev: SXP) -> XendPCIDevice? {
        func hex(_ key: String, max: UInt32) -> UInt32? {
            guard let text = dev.childValue(key)?.scalar else { return nil }
            var digits = text[...]
            if digits.starts(with: "0x".utf8) || digits.starts(with: "0X".utf8) { digits = digits.dropFirst(2) }
            guard !digits.isEmpty, digits.count <= 8 else { return nil }
            var n: UInt32 = 0
            for d in digits {
                guard let v = SXP.hexDigit(d) else { return nil }
                n = n << 4 | UInt32(v)
            }
            return n <= max ? n : nil
        }
        guard let domain = hex("domain", max: 0xffff), let bus = hex("bus", max: 0xff),
            let slot = hex("slot", max: 0x1f), let function = hex("func", max: 7)
        else { return nil }
        var vslot: UInt32?
        if let vdevfn = hex("vdevfn", max: 0x1ff), vdevfn & 0x100 == 0 {
            vslot = vdevfn >> 3
        }
        var options: [(key: String, value: [UInt8])] = []
        for opt in dev.children("opts") {
            guard let pair = opt.items?.dropFirst().first?.items, pair.count == 2,
                let key = pair[0].scalar, let value = pair[1].scalar
            else { continue }
            options.append((String(decoding: key, as: UTF8.self), value))
        }
        return XendPCIDevice(domain: domain, bus: bus, slot: slot, function: function, vslot: vslot, options: options)
    }
}
