/// The translation from xend's configuration keys to xl's: one row per
/// xend key (or group of keys). The rows with an `apply` write the xl
/// configuration (`XLConfig`), in table order; the others name what is
/// left out and why. `markdown()` prints the table for docs/xend.md.
package struct XendTranslation: Sendable {
    package enum Guests: String, Sendable {
        case all = "PV, HVM"
        case pv = "PV"
        case hvm = "HVM"

        func includes(_ guest: XendGuestType) -> Bool {
            self == .all || (self == .pv) == (guest == .pv)
        }
    }

    /// The xend key(s) and where they are.
    package let xend: String
    /// The xl key(s); `—` when none.
    package let xl: String
    package let guests: Guests
    /// How the value is carried over, or why it is not.
    package let rule: String
    /// The record keys the row accounts for (to explain unused ones).
    let keys: [String]
    /// The keys it reads into `XendDomainConfig.values` for its guests.
    let reads: [XendRead]
    let apply: Apply?

    typealias Apply = @Sendable (XendDomainConfig, inout XLWriter) throws(XendConfigError) -> Void

    init(
        _ xend: String, _ xl: String, _ guests: Guests, _ rule: String, keys: [String]? = nil,
        reads: [XendRead] = [], apply: Apply? = nil
    ) {
        self.xend = xend
        self.xl = xl
        self.guests = guests
        self.rule = rule
        self.keys = keys ?? (reads.isEmpty ? [xend] : reads.map(\.key))
        self.reads = reads
        self.apply = apply
    }

    /// Every row, in the order the xl configuration is written.
    package static let table: [XendTranslation] = general + pvRows + hvmRows + deviceRows + dropped

    /// The table as Markdown: xend key, xl key, guests, rule.
    package static func markdown() -> String {
        func cell(_ s: String) -> String { s.replacingPipes() }
        var out = "| xend | xl | guests | translation |\n|---|---|---|---|\n"
        for row in table {
            out += "| \(cell(row.xend)) | \(cell(row.xl)) | \(row.guests.rawValue) | \(cell(row.rule)) |\n"
        }
        return out
    }

    /// Why a key found in the record is not in the xl configuration.
    static func reason(forUnused key: String, guest: XendGuestType) -> String {
        let rows = table.filter { $0.keys.contains(key) }
        if let dropped = rows.first(where: { $0.apply == nil }) { return dropped.rule }
        if let other = rows.first(where: { !$0.guests.includes(guest) }) {
            return "applies to \(other.guests.rawValue) guests only"
        }
        return rows.isEmpty ? "unknown to this translator" : "not used here"
    }

    // MARK: rows

    static let actions: Set<String> = [
        "destroy", "restart", "rename-restart", "preserve",
        "coredump-destroy", "coredump-restart",
    ]

    static let general: [XendTranslation] = [
        .init("name", "name", .all, "string; refused when empty, all digits, with control characters, or Domain-0") {
            (c, w) throws(XendConfigError) in
            try w.string("name", c.name)
        },
        .init(
            "(image (linux ...)), (image (hvm ...))", "type, device_model_version", .all,
            "`type = \"pv\"` or `\"hvm\"`; HVM adds `device_model_version = \"qemu-xen-traditional\"`: the image holds qemu-dm's device state. No (image ...) is PV (a domain its bootloader boots), as in xend",
            keys: ["image"]
        ) { (c, w) throws(XendConfigError) in
            try w.string("type", c.guest == .pv ? "pv" : "hvm")
            if c.guest == .hvm { try w.string("device_model_version", "qemu-xen-traditional") }
        },
        .init(
            "uuid", "uuid", .all,
            "in xl's dashed form; xend read it with or without dashes (refused when not 32 hex digits). Absent: xl makes one, as xend did"
        ) { (c, w) throws(XendConfigError) in
            if let uuid = c.uuid { try w.string("uuid", uuid) }
        },
        .init("memory", "memory", .all, "MiB; refused when not a number") { (c, w) throws(XendConfigError) in
            w.number("memory", Int64(c.memory))
        },
        .init("maxmem", "maxmem", .all, "MiB, when given and not below memory (xend refused that too)") {
            (c, w) throws(XendConfigError) in
            guard let maxmem = c.maxmem else { return }
            if maxmem >= c.memory {
                w.number("maxmem", Int64(maxmem))
            } else {
                w.note("maxmem", "\(maxmem)", "below memory (\(c.memory)); xl's default, memory, applies")
            }
        },
        .init(
            "vcpus, vcpu_avail", "vcpus, maxvcpus", .all,
            "`vcpus` = the vcpus online by `vcpu_avail` (all when absent); `maxvcpus` = xend's `vcpus` when fewer are online. xl starts vcpus 0 to N-1 (noted when `vcpu_avail` named others)",
            keys: ["vcpus", "vcpu_avail"]
        ) { (c, w) throws(XendConfigError) in
            let online = c.onlineVCPUs
            guard online > 0 else { throw w.malformed("vcpu_avail leaves no vcpu online") }
            w.number("vcpus", Int64(online))
            guard online < c.vcpus else { return }
            w.number("maxvcpus", Int64(c.vcpus))
            // The words of a bitmap with exactly vcpus 0 to online-1 set.
            let low: [UInt64] = (0..<((c.vcpus + 63) / 64)).map { i in
                let bits = min(max(online - i * 64, 0), 64)
                return bits == 64 ? UInt64.max : (UInt64(1) << UInt64(bits)) &- 1
            }
            if c.vcpuAvail != low {
                w.note("vcpu_avail", "\(online) of \(c.vcpus) online", "xl brings up vcpus 0 to \(online - 1) instead")
            }
        },
        .init(
            "cpus", "cpus", .all,
            "CPU numbers per vcpu: one CPU list when every vcpu has the same, else a list per vcpu (`all` for an unpinned one); none when no vcpu is pinned"
        ) { (c, w) throws(XendConfigError) in
            switch c.cpus {
            case .none: break
            case .all(let text):
                if !text.isEmpty { try w.string("cpus", text) }
            case .perVCPU(let lists):
                if lists.allSatisfy(\.isEmpty) { break }
                if let first = lists.first, lists.allSatisfy({ $0 == first }) {
                    try w.string("cpus", first)
                } else {
                    try w.list("cpus", lists.map { $0.isEmpty ? Array("all".utf8) : $0 })
                }
            }
        },
        number("cpu_weight", guests: .all, place: .top, "when given"),
        number("cpu_cap", xl: "cap", guests: .all, place: .top, "when given"),
        .init(
            "on_poweroff, on_reboot, on_crash", "on_poweroff, on_reboot, on_crash", .all,
            "always written; absent: xend's defaults destroy, restart, restart (xl's on_crash default is destroy)",
            reads: ["on_poweroff", "on_reboot", "on_crash"].map { XendRead($0, .text, .top) }
        ) { (c, w) throws(XendConfigError) in
            for (key, fallback) in [("on_poweroff", "destroy"), ("on_reboot", "restart"), ("on_crash", "restart")] {
                let action = c.text(key) ?? Array(fallback.utf8)
                if actions.contains(String(decoding: action, as: UTF8.self)) {
                    try w.string(key, action)
                } else {
                    w.note(key, SXP.printable(action), "not an action xl knows; xl's default applies")
                }
            }
        },
        number("shadow_memory", guests: .all, place: .topThenImage, "MiB, when not 0 (0: the default)") { $0 > 0 },
        .init(
            "pool_name", "pool", .all, "when not Pool-0 (the default in both)",
            reads: [XendRead("pool_name", .text, .top)]
        ) { (c, w) throws(XendConfigError) in
            if let pool = c.text("pool_name"), !pool.isEmpty, pool != Array("Pool-0".utf8) {
                try w.string("pool", pool)
            }
        },
        flag("localtime", guests: .all, rule: "0/1, when given (in the image or at the top level)"),
        choice(
            "tsc_mode", guests: .all, [0: "default", 1: "always_emulate", 2: "native"],
            "0 default, 1 always_emulate, 2 native; 3 (native_paravirt) is not written: Xen removed it"
        ) { $0 == 3 ? "native_paravirt was removed from Xen" : "unknown TSC mode" },
        flag("nomigrate", guests: .all),
    ]

    static let pvRows: [XendTranslation] = [
        text("kernel", label: "image kernel", guests: .pv, place: .imageOnly, "when not empty"),
        text("ramdisk", label: "image ramdisk", guests: .pv, place: .imageOnly, "when not empty"),
        .init(
            "image args, root, ip", "extra", .pv,
            "the command line xend gave the kernel: `args`, with `root=ROOT` and `ip=IP` put in front when `args` has none",
            reads: ["args", "root", "ip"].map { XendRead($0, .text, .imageOnly) }
        ) { (c, w) throws(XendConfigError) in
            let line = XendTranslation.commandLine(c)
            if !line.isEmpty { try w.string("extra", line) }
        },
        .init(
            "bootloader", "bootloader", .pv,
            "when not empty; a path ending in pygrub becomes `pygrub` (the restoring Xen's own). Refused when there is neither kernel nor bootloader",
            reads: [XendRead("bootloader", .text, .top)]
        ) { (c, w) throws(XendConfigError) in
            if var v = c.text("bootloader"), !v.isEmpty {
                if v.split(separator: UInt8(ascii: "/")).last.map(Array.init) == Array("pygrub".utf8) {
                    v = Array("pygrub".utf8)
                }
                try w.string("bootloader", v)
            }
            guard w.has("kernel") || w.has("bootloader") else {
                throw w.malformed("a PV domain with neither kernel nor bootloader")
            }
        },
        .init(
            "bootloader_args", "bootloader_args", .pv, "split at white space into a list",
            reads: [XendRead("bootloader_args", .text, .top)]
        ) { (c, w) throws(XendConfigError) in
            guard let v = c.text("bootloader_args") else { return }
            let words = v.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0a }).map(Array.init)
            if !words.isEmpty { try w.list("bootloader_args", words) }
        },
    ]

    /// xend's PV command line (XendConfig.update_with_image_sxp).
    static func commandLine(_ c: XendDomainConfig) -> [UInt8] {
        var line = c.text("args") ?? []
        if let ip = c.text("ip"), !ip.isEmpty, !line.containsSequence(Array("ip=".utf8)) {
            line = Array("ip=".utf8) + ip + [0x20] + line
        }
        if let root = c.text("root"), !root.isEmpty, !line.containsSequence(Array("root=".utf8)) {
            line = Array("root=".utf8) + root + [0x20] + line
        }
        while line.last == 0x20 { line.removeLast() }
        return line
    }
}

extension String {
    func replacingPipes() -> String {
        var out = ""
        for ch in self { out += ch == "|" ? "\\|" : String(ch) }
        return out
    }
}

extension Array where Element == UInt8 {
    func containsSequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return needle.isEmpty }
        for start in 0...(count - needle.count) where self[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}
