/// The HVM platform keys of an xend configuration. xend keeps them inside
/// `(image (hvm ...))`; `xm create` configurations may have them at the top
/// level. nil: not given (xend's default applies, see `XendTranslation`).
public struct XendHVMOptions: Sendable, Equatable {
    public var acpi: Bool?
    public var apic: Bool?
    public var pae: Bool?
    public var hpet: Bool?
    public var viridian: Bool?
    public var hap: Bool?
    public var nestedhvm: Bool?
    public var timerMode: Int64?
    public var rtcTimeoffset: Int64?
    public var boot: [UInt8]?
    /// One device, or a list of them.
    public var serial: [[UInt8]]?
    public var parallel: [UInt8]?
    public var usb: Bool?
    public var usbdevice: [[UInt8]]?
    public var soundhw: [UInt8]?
    public var stdvga: Bool?
    /// MiB.
    public var videoram: Int64?
    public var xenPlatformPCI: Bool?
    public var vptAlign: Bool?
    public var vnc: Bool?
    public var vnclisten: [UInt8]?
    public var vncunused: Bool?
    public var vncdisplay: Int64?
    public var vncpasswd: [UInt8]?
    public var keymap: [UInt8]?
    public var sdl: Bool?
    public var opengl: Bool?
    public var display: [UInt8]?
    public var xauthority: [UInt8]?
    public var nographic: Bool?
    public var pciMsitranslate: Bool?
    public var pciPowerMgmt: Bool?
    public var gfxPassthru: Bool?
    /// Out-of-sync shadow pagetables.
    public var oos: Bool?

    public init() {}

    typealias Entry = (key: String, value: SXP)

    init(
        _ image: inout XendSettings, _ top: inout XendSettings,
        number: (Entry?) -> Int64?, flag: (Entry?) -> Bool?, text: (Entry?) -> [UInt8]?
    ) {
        func find(_ key: String) -> Entry? { image.entry(key) ?? top.entry(key) }
        acpi = flag(find("acpi"))
        apic = flag(find("apic"))
        pae = flag(find("pae"))
        hpet = flag(find("hpet"))
        viridian = flag(find("viridian"))
        hap = flag(find("hap"))
        nestedhvm = flag(find("nestedhvm"))
        timerMode = number(find("timer_mode"))
        rtcTimeoffset = number(find("rtc_timeoffset"))
        boot = text(find("boot"))
        serial = Self.textList(find("serial"), text: text)
        parallel = text(find("parallel"))
        usb = flag(find("usb"))
        usbdevice = Self.textList(find("usbdevice"), text: text)
        soundhw = text(find("soundhw"))
        stdvga = flag(find("stdvga"))
        videoram = number(find("videoram"))
        xenPlatformPCI = flag(find("xen_platform_pci"))
        vptAlign = flag(find("vpt_align"))
        vnc = flag(find("vnc"))
        vnclisten = text(find("vnclisten"))
        vncunused = flag(find("vncunused"))
        vncdisplay = number(find("vncdisplay"))
        vncpasswd = text(find("vncpasswd"))
        keymap = text(find("keymap"))
        sdl = flag(find("sdl"))
        opengl = flag(find("opengl"))
        display = text(find("display"))
        xauthority = text(find("xauthority"))
        nographic = flag(find("nographic"))
        pciMsitranslate = flag(find("pci_msitranslate"))
        pciPowerMgmt = flag(find("pci_power_mgmt"))
        gfxPassthru = flag(find("gfx_passthru"))
        oos = flag(find("oos"))
    }

    /// A scalar, or a list of scalars (empty ones dropped).
    static func textList(_ entry: Entry?, text: (Entry?) -> [UInt8]?) -> [[UInt8]]? {
        guard let entry else { return nil }
        if let items = entry.value.items { return items.compactMap(\.scalar).filter { !$0.isEmpty } }
        return text(entry).map { $0.isEmpty ? [] : [$0] }
    }
}

/// Where the vcpus may run (xend's `cpus`).
public enum XendCPUs: Sendable, Equatable {
    /// One CPU list, in xl's syntax (`0-3,^1`), for every vcpu.
    case all([UInt8])
    /// One CPU list per vcpu, in vcpu order; an empty one: any CPU.
    case perVCPU([[UInt8]])

    /// Reads xend's forms: `((0 1) (2 3))` from a saved domain (lists of
    /// CPU numbers, one per vcpu), `("0-3,^1" ...)` or `"0-3,^1"` from a
    /// configuration file. nil when it is none of them.
    public init?(_ value: SXP) {
        if let text = value.scalar {
            guard Self.isCPUList(text) else { return nil }
            self = .all(text)
            return
        }
        guard let items = value.items else { return nil }
        var lists: [[UInt8]] = []
        for item in items {
            if let text = item.scalar {
                guard Self.isCPUList(text) else { return nil }
                lists.append(text)
            } else if let numbers = item.items {
                var cpus: [Int] = []
                for n in numbers {
                    guard let cpu = XendDomainConfig.integer(n), (0...65535).contains(cpu) else { return nil }
                    cpus.append(Int(cpu))
                }
                lists.append(Array(Self.ranges(cpus).utf8))
            } else {
                return nil
            }
        }
        self = .perVCPU(lists)
    }

    /// Digits, commas, ranges and `^` exclusions only.
    static func isCPUList(_ text: [UInt8]) -> Bool {
        text.allSatisfy {
            ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ",")
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "^")
        }
    }

    /// `[0, 1, 2, 3, 5]` as `0-3,5`.
    static func ranges(_ cpus: [Int]) -> String {
        let sorted = Array(Set(cpus)).sorted()
        var parts: [String] = []
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(j == i ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}

/// One xend setting that does not become part of the xl configuration.
public struct XendUntranslated: Sendable, Equatable, CustomStringConvertible {
    /// Where it was: `domid`, `image hvm parallel`, `device vif 0 accel`.
    public var key: String
    /// The value, compactly (see `SXP.description`).
    public var value: String
    public var reason: String

    public init(key: String, value: String, reason: String) {
        self.key = key
        self.value = value
        self.reason = reason
    }

    /// One line: `domid 7: runtime state of the saved domain`; long
    /// values cut short.
    public var description: String {
        let shown = value.count > 60 ? String(value.prefix(57)) + "..." : value
        return "\(key) \(shown): \(reason)"
    }
}
