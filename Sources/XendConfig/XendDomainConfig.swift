/// A typed view of the `(domain ...)` record that `xm save` puts at the
/// front of an image (`XendConfig.to_sxp`), as much as xl can use.
///
/// Where keys live follows xend: the domain-wide keys (`name`, `memory`,
/// `vcpus`, `on_crash` ...) at the top level; kernel, command line and the
/// platform keys (`acpi`, `vnc`, `timer_mode` ...) inside
/// `(image (linux ...))` or `(image (hvm ...))`. Configurations written by
/// `xm create` put some platform keys (`localtime`, `vcpus`) at the top
/// level: a key missing where xend stores it is looked for in the other place.
public struct XendDomainConfig: Sendable, Equatable {
    public var guest: XendGuestType
    public var name: [UInt8]
    public var uuid: String?
    /// MiB.
    public var memory: UInt64
    public var maxmem: UInt64?
    /// The most vcpus the domain may have (xend's `vcpus`).
    public var vcpus: Int
    /// Which of them are online (`vcpu_avail`), one bit per vcpu from bit 0
    /// of word 0; nil when not given (all).
    package var vcpuAvail: [UInt64]?
    package var cpus: XendCPUs?
    /// The values of the keys the translation rows read (`XendRead`), by
    /// xend key: the PV kernel and command line, the HVM platform keys,
    /// scheduling, actions.
    package var values: [String: XendValue] = [:]
    // Devices, in the order xend listed them.
    package var disks: [XendDisk] = []
    package var vifs: [XendVIF] = []
    package var vfbs: [XendVFB] = []
    package var pciDevices: [XendPCIDevice] = []
    /// Settings read but not carried into this model, and why (runtime
    /// state, xend-only options, unknown keys, devices xl cannot take).
    public var untranslated: [XendUntranslated] = []
    /// Input offset of the `(domain ...)` record.
    public var offset: UInt64

    /// Parses and reads a configuration; `baseOffset` is the input offset of
    /// `bytes[0]`. Malformed S-expressions, a record that is not
    /// `(domain ...)`, a missing or unknown image, a non-numeric memory or
    /// vcpus, or a name xl cannot take are `.malformed` errors.
    public init(parsing bytes: [UInt8], baseOffset: UInt64 = 0) throws(XendConfigError) {
        try self.init(try SXP.parse(bytes, baseOffset: baseOffset))
    }

    public init(_ record: SXP) throws(XendConfigError) {
        // xend's restore read the record without looking at its tag: `xm
        // save` wrote (domain ...), `xm create` sent the same keys as (vm ...).
        guard record.isTagged("domain") || record.isTagged("vm"), let items = record.items else {
            throw XendConfigError(
                .malformed, "Bad xend domain config: the record is not (domain ...)", offset: record.offset)
        }
        offset = record.offset
        var top = XendSettings(items.dropFirst(), skipping: ["device", "image"])
        // No image (a domain a bootloader boots) is PV: xend's image type
        // was linux unless the config made it HVM.
        let imageEntry = record.childValue("image")
        if let imageEntry {
            switch imageEntry.tag.map({ String(decoding: $0, as: UTF8.self) }) {
            case "linux": guest = .pv
            case "hvm": guest = .hvm
            case let other:
                throw XendConfigError(
                    .unsupported, "xend image type '\(other ?? imageEntry.description)' is neither linux (PV) nor hvm",
                    offset: imageEntry.offset)
            }
        } else {
            guest = .pv
        }
        var image = XendSettings((imageEntry?.items ?? []).dropFirst(), skipping: [])

        // Required: what xl must have and xend always wrote.
        guard let nameValue = top.take("name"), let nameBytes = nameValue.scalar else {
            throw XendConfigError(.malformed, "Bad xend domain config: no domain name", offset: record.offset)
        }
        try XendDomainConfig.checkName(nameBytes, at: nameValue.offset)
        name = nameBytes
        guard let memoryValue = top.take("memory") ?? image.take("memory") else {
            throw XendConfigError(.malformed, "Bad xend domain config: no memory size", offset: record.offset)
        }
        memory = try XendDomainConfig.requiredCount(memoryValue, "memory", range: 1...(1 << 40))
        if let v = top.take("maxmem") ?? image.take("maxmem") {
            maxmem = try XendDomainConfig.requiredCount(v, "maxmem", range: 1...(1 << 40))
        }
        if let v = top.take("vcpus") ?? image.take("vcpus") {
            vcpus = Int(try XendDomainConfig.requiredCount(v, "vcpus", range: 1...4096))
        } else {
            vcpus = 1  // xend's default
        }
        if let v = top.take("uuid") {
            guard let text = v.text, let dashed = XendDomainConfig.dashedUUID(text) else {
                throw XendConfigError(.malformed, "Bad xend domain config: uuid \(v) is not a UUID", offset: v.offset)
            }
            uuid = dashed
        }

        // Optional: an unreadable value is reported, not fatal.
        var notes: [XendUntranslated] = []
        if let entry = top.entry("vcpu_avail") {
            vcpuAvail = XendDomainConfig.bitmap(entry.value, bits: vcpus)
            if vcpuAvail == nil {
                notes.append(
                    XendUntranslated(key: entry.key, value: entry.value.description, reason: "not a vcpu bitmap"))
            }
        }
        if let entry = top.entry("cpus") {
            cpus = XendCPUs(entry.value)
            if cpus == nil {
                notes.append(XendUntranslated(key: entry.key, value: entry.value.description, reason: "not a CPU list"))
            }
        }
        for row in XendTranslation.table where row.guests.includes(guest) {
            for read in row.reads where values[read.key] == nil {
                values[read.key] = XendDomainConfig.value(read, top: &top, image: &image, notes: &notes)
            }
        }

        // Devices, then everything nobody took.
        var devices = XendDevices()
        for device in record.children("device") {
            try devices.add(device, notes: &notes)
        }
        disks = devices.disks
        vifs = devices.vifs
        vfbs = devices.vfbs
        pciDevices = devices.pci
        // Like xend's scrub_password: no password in a message or comment.
        func shown(_ key: String, _ value: SXP) -> String { key.contains("passwd") ? "(hidden)" : value.description }
        for (key, value) in top.leftovers {
            notes.append(
                XendUntranslated(
                    key: key, value: shown(key, value),
                    reason: XendTranslation.reason(forUnused: key, guest: guest)))
        }
        let imageTag = guest == .pv ? "linux" : "hvm"
        for (key, value) in image.leftovers {
            notes.append(
                XendUntranslated(
                    key: "image \(imageTag) \(key)", value: shown(key, value),
                    reason: XendTranslation.reason(forUnused: key, guest: guest)))
        }
        untranslated = notes
    }

    /// Online vcpus by `vcpu_avail` (all when not given).
    public var onlineVCPUs: Int {
        guard let vcpuAvail else { return vcpus }
        return vcpuAvail.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    package func flag(_ key: String) -> Bool? {
        if case .flag(let v)? = values[key] { return v }
        return nil
    }

    package func number(_ key: String) -> Int64? {
        if case .number(let v)? = values[key] { return v }
        return nil
    }

    package func text(_ key: String) -> [UInt8]? {
        if case .text(let v)? = values[key] { return v }
        return nil
    }

    package func list(_ key: String) -> [[UInt8]]? {
        if case .list(let v)? = values[key] { return v }
        return nil
    }

    /// Reads `read` from where xend keeps it; a value of the wrong shape
    /// is noted and left out.
    static func value(
        _ read: XendRead, top: inout XendSettings, image: inout XendSettings, notes: inout [XendUntranslated]
    ) -> XendValue? {
        let found: (key: String, value: SXP)?
        switch read.place {
        case .top: found = top.entry(read.key)
        case .topThenImage: found = top.entry(read.key) ?? image.entry(read.key)
        case .image: found = image.entry(read.key) ?? top.entry(read.key)
        case .imageOnly: found = image.entry(read.key)
        }
        guard let (key, value) = found else { return nil }
        let problem: String
        switch read.kind {
        case .flag:
            if let b = boolean(value) { return .flag(b) }
            problem = "not a boolean"
        case .number:
            if let n = integer(value) { return .number(n) }
            problem = "not a number"
        case .text:
            if let b = value.scalar { return .text(b) }
            problem = "a list where a value was expected"
        case .list:
            if let items = value.items { return .list(items.compactMap(\.scalar).filter { !$0.isEmpty }) }
            if let b = value.scalar { return .list(b.isEmpty ? [] : [b]) }
            problem = "not a list"
        }
        notes.append(XendUntranslated(key: key, value: value.description, reason: problem))
        return nil
    }

    // MARK: checks and conversions

    /// xl must be able to name and find the domain: not empty, not all
    /// digits (xl reads those as a domain id), no control characters, not
    /// dom0's name.
    static func checkName(_ name: [UInt8], at offset: UInt64) throws(XendConfigError) {
        let problem: String?
        if name.isEmpty {
            problem = "is empty"
        } else if name.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            problem = "is all digits (xl would take it for a domain id)"
        } else if name.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
            problem = "contains control characters"
        } else if name == Array("Domain-0".utf8) {
            problem = "is the name of dom0"
        } else {
            problem = nil
        }
        if let problem {
            throw XendConfigError(
                .malformed,
                "Bad xend domain config: domain name \"\(SXP.printable(name, escapingQuote: true))\" \(problem)",
                offset: offset)
        }
    }

    /// A UUID as xend's uuid.fromString read one (its dashes dropped, then
    /// 32 hex digits), in the dashed lower-case form xend's toString and xl
    /// write; nil when it is not one.
    static func dashedUUID(_ text: String) -> String? {
        let digits = Array(text.utf8).filter { $0 != UInt8(ascii: "-") }
        guard digits.count == 32, digits.allSatisfy({ SXP.hexDigit($0) != nil }) else { return nil }
        let hex = String(decoding: digits, as: UTF8.self).lowercased()
        var out = ""
        for (i, c) in hex.enumerated() {
            if [8, 12, 16, 20].contains(i) { out += "-" }
            out.append(c)
        }
        return out
    }

    static func requiredCount(_ value: SXP, _ key: String, range: ClosedRange<Int64>) throws(XendConfigError) -> UInt64
    {
        guard let n = integer(value) else {
            throw XendConfigError(
                .malformed, "Bad xend domain config: \(key) \(value) is not a number", offset: value.offset)
        }
        guard range.contains(n) else {
            throw XendConfigError(
                .malformed, "Bad xend domain config: \(key) \(n) is out of range", offset: value.offset)
        }
        return UInt64(n)
    }

    /// A decimal integer as Python's `int()` reads one (sign, surrounding
    /// spaces); nil when it is not one or does not fit.
    static func integer(_ value: SXP) -> Int64? {
        guard var bytes = value.scalar?[...] else { return nil }
        while let f = bytes.first, f == 0x20 || f == 0x09 { bytes.removeFirst() }
        while let l = bytes.last, l == 0x20 || l == 0x09 { bytes.removeLast() }
        var negative = false
        if let f = bytes.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") {
            negative = f == UInt8(ascii: "-")
            bytes.removeFirst()
        }
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var n: Int64 = 0
        for b in bytes {
            guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { return nil }
            n = n * 10 + Int64(b - UInt8(ascii: "0"))
        }
        return negative ? -n : n
    }

    /// An integer (non-zero is true) or Python's True/False.
    static func boolean(_ value: SXP) -> Bool? {
        if let n = integer(value) { return n != 0 }
        switch value.text {
        case "True", "true", "yes": return true
        case "False", "false", "no": return false
        default: return nil
        }
    }

    /// A decimal number of any length (Python long) as bitmap words, only
    /// the low `bits` bits kept.
    static func bitmap(_ value: SXP, bits: Int) -> [UInt64]? {
        guard let digits = value.scalar, !digits.isEmpty, digits.count <= 1300 else { return nil }
        var words = [UInt64](repeating: 0, count: (bits + 63) / 64)
        for d in digits {
            guard d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9") else { return nil }
            // words = words * 10 + d, dropping what overflows the top word.
            var carry = UInt64(d - UInt8(ascii: "0"))
            for w in words.indices {
                let (high, low) = words[w].multipliedFullWidth(by: 10)
                let (sum, overflow) = low.addingReportingOverflow(carry)
                words[w] = sum
                carry = high &+ (overflow ? 1 : 0)
            }
        }
        if bits % 64 != 0, let last = words.indices.last {
            words[last] &= (UInt64(1) << UInt64(bits % 64)) &- 1
        }
        return words
    }
}

extension SXP {
    static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// The `(key value)` entries of one level of the record, first one of a
/// key winning (as sxp.child_value does); tracks which were used.
struct XendSettings {
    private var order: [String] = []
    private var values: [String: SXP] = [:]
    private var used: Set<String> = []

    init(_ items: ArraySlice<SXP>, skipping: Set<String>) {
        for item in items {
            guard let entry = item.items, let tag = entry.first?.scalar else { continue }
            let key = String(decoding: tag, as: UTF8.self)
            if skipping.contains(key) || values[key] != nil { continue }
            // `(key)` has no value: sxp.child_value reads it as absent.
            guard entry.count > 1 else { continue }
            order.append(key)
            values[key] = entry[1]
        }
    }

    mutating func take(_ key: String) -> SXP? {
        guard let v = values[key] else { return nil }
        used.insert(key)
        return v
    }

    mutating func entry(_ key: String) -> (key: String, value: SXP)? {
        take(key).map { (key, $0) }
    }

    var leftovers: [(String, SXP)] {
        order.filter { !used.contains($0) }.compactMap { key in values[key].map { (key, $0) } }
    }
}
