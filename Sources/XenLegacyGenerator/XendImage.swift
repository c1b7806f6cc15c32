import XenMigration

/// An image as xend's `xm save` wrote it: `"LinuxGuestRecord"`, the
/// big-endian int32 length of the configuration, the configuration
/// (`sxp.to_string` of `XendConfig.to_sxp()`), then the legacy stream
/// `xc_save` wrote; for HVM, `"QemuDeviceModelRecord"` and qemu-dm's state
/// run to the end (the legacy image's device model record).
package struct XendImage: Sendable, Equatable {
    package static let magic: [UInt8] = Array("LinuxGuestRecord".utf8)

    /// The configuration as xend wrote it: the `(domain ...)` record.
    package var config: [UInt8]
    /// The legacy stream after it (never with an xl header).
    package var legacy: LegacyImage

    /// `record` written as `sxp.to_string` writes it.
    package init(record: PyValue, legacy: LegacyImage) {
        self.init(config: record.sxpString(), legacy: legacy)
    }

    /// A configuration given as bytes (a record from a file, as `xm list -l`
    /// printed it).
    package init(config: [UInt8], legacy: LegacyImage) {
        self.config = config
        self.legacy = legacy
    }

    /// Signature, length and configuration: what comes before the legacy stream.
    package var header: [UInt8] {
        let config = self.config
        let n = UInt32(truncatingIfNeeded: config.count)
        return XendImage.magic + [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + config
    }

    /// The whole image, in memory.
    package func bytes() -> [UInt8] { header + legacy.legacyBytes() }

    /// Writes the image to `sink` (the legacy part in constant memory).
    package func write(to sink: any ByteSink) throws {
        let e = Emitter(sink: sink)
        try e.bytes(header)
        try legacy.write(to: e)
        try e.flush()
    }

    /// `image` as xend saved it: no xl header, no libxl toolstack chunk;
    /// an HVM guest's device model state in a QemuDeviceModelRecord.
    package static func xendLegacy(_ image: LegacyImage, seed: UInt64) -> LegacyImage {
        var image = image
        image.xlHeader = nil
        image.body.removeAll { if case .toolstack = $0 { true } else { false } }
        if image.guest == .hvm {
            let data = image.deviceModel?.data ?? .random(count: 4096, seed: SplitMix64.derive(seed, 77))
            image.deviceModel = DeviceModel(signature: DeviceModel.qemu, data: data)
            image.trailer = []
        }
        return image
    }
}

/// Realistic domains, as xend 4.x saved them.
package enum XendPreset: String, Sendable, CaseIterable {
    /// PV, booted from a kernel in dom0.
    case pvKernel = "pv-kernel"
    /// PV, booted by pygrub; a UTF-8 name, pinned vcpus, half of them online.
    case pvPygrub = "pv-pygrub"
    /// HVM Windows: viridian, USB tablet, VNC, CD-ROM, localtime.
    case hvmWindows = "hvm-windows"
    /// HVM Linux: no graphics, serial console, blktap2 VHD disk, empty
    /// CD-ROM, a passed-through PCI device, two vifs.
    case hvmLinux = "hvm-linux"

    package var guest: GuestType { self == .pvKernel || self == .pvPygrub ? .pv : .hvm }

    /// Online vcpus in the legacy stream.
    package var onlineVCPUs: Int {
        switch self {
        case .pvKernel, .hvmWindows: 2
        case .pvPygrub: 2
        case .hvmLinux: 1
        }
    }
}

extension XendImage {
    /// `config` around the legacy stream of `preset` (which gives the guest
    /// type and online vcpus).
    package static func withConfig(
        _ config: [UInt8], like preset: XendPreset, width: ToolstackWidth = .bits64, seed: UInt64 = 1,
        pages: UInt64 = 48
    ) -> XendImage {
        XendImage(config: config, legacy: Self.preset(preset, width: width, seed: seed, pages: pages).legacy)
    }

    /// `preset` around a small legacy stream of a `width` toolstack.
    package static func preset(
        _ preset: XendPreset, width: ToolstackWidth = .bits64, seed: UInt64 = 1,
        pages: UInt64 = 48
    ) -> XendImage {
        let legacy = LegacyImage.large(
            LargeImageSpec(
                width: width, guest: preset.guest, pages: pages, batchSize: 16,
                seed: seed, vcpus: preset.onlineVCPUs))
        return XendImage(record: XendRecords.record(preset, seed: seed), legacy: xendLegacy(legacy, seed: seed))
    }
}

/// The `(domain ...)` records of the presets, laid out as
/// `XendConfig.to_sxp()` lays out a running domain's.
enum XendRecords {
    typealias P = PyValue

    static func uuid(_ seed: UInt64, _ salt: UInt64) -> String {
        let a = SplitMix64.derive(seed, salt)
        let b = SplitMix64.derive(seed, salt &+ 1)
        let hex = hex(a, width: 16) + hex(b, width: 16)
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-"
            + String(c[20..<32])
    }

    static func mac(_ seed: UInt64, _ salt: UInt64) -> String {
        let r = SplitMix64.derive(seed, salt)
        let bytes = [0x00, 0x16, 0x3e, UInt8(r & 0x7f), UInt8(r >> 8 & 0xff), UInt8(r >> 16 & 0xff)]
        return bytes.map { hex($0, width: 2) }.joined(separator: ":")
    }

    /// The keys every running domain's record starts with.
    static func common(
        name: [UInt8], uuid: String, vcpus: Int64, avail: Int64, cpus: P, memory: Int64, maxmem: Int64,
        onCrash: String, bootloader: P = .s(""), bootloaderArgs: P = .s(""), shadow: Int64 = 0
    ) -> [P] {
        [
            .s("domain"), .pair("domid", 7), .pair("cpu_weight", 256), .pair("cpu_cap", 0), .pair("on_crash", onCrash),
            .pair("uuid", uuid), .list([.s("bootloader_args"), bootloaderArgs]), .pair("vcpus", vcpus),
            .list([.s("name"), .str(name)]), .list([.s("cpus"), cpus]), .pair("on_reboot", "restart"),
            .pair("on_poweroff", "destroy"), .pair("pool_name", "Pool-0"), .pair("description", ""),
            .list([.s("bootloader"), bootloader]), .pair("maxmem", maxmem), .pair("memory", memory),
            .pair("shadow_memory", shadow), .pair("vcpu_avail", avail), .pair("features", ""),
            .pair("on_xend_start", "ignore"), .pair("on_xend_stop", "ignore"),
            .list([.s("start_time"), .raw("1388534400.52")]),
            .list([.s("cpu_time"), .raw("42.184215291")]), .pair("online_vcpus", Int64(avail.nonzeroBitCount)),
        ]
    }

    static func runtime(store: Int64) -> [P] {
        [.pair("status", 2), .pair("state", "-b----"), .pair("store_mfn", store), .pair("console_mfn", store - 1)]
    }

    static func device(_ items: [P]) -> P { .list([.s("device"), .list(items)]) }

    static func vbd(_ seed: UInt64, _ salt: UInt64, uname: String?, dev: String, mode: String, bootable: Int64) -> P {
        var items: [P] = [
            .s("vbd"), .pair("protocol", "x86_64-abi"), .pair("uuid", uuid(seed, salt)),
            .pair("bootable", bootable), .pair("dev", dev),
        ]
        if let uname { items.append(.pair("uname", uname)) }
        items += [.pair("mode", mode), .pair("backend", 0), .pair("VDI", "")]
        return device(items)
    }

    static let pvNotes: P = .list([
        .s("notes"), .list([.s("HV_START_LOW"), .raw("18446603336221196288")]),
        .pair("FEATURES", "!writable_page_tables|pae_pgdir_above_4gb"),
        .list([.s("VIRT_BASE"), .raw("18446744071562067968")]), .pair("GUEST_VERSION", "2.6"),
        .pair("PADDR_OFFSET", 0), .pair("GUEST_OS", "linux"),
        .list([.s("HYPERCALL_PAGE"), .raw("18446744071578882048")]), .pair("LOADER", "generic"),
        .pair("SUSPEND_CANCEL", 1), .pair("PAE_MODE", "yes"),
        .list([.s("ENTRY"), .raw("18446744071584289280")]), .pair("XEN_VERSION", "xen-3.0"),
    ])

    static func record(_ preset: XendPreset, seed: UInt64) -> PyValue {
        switch preset {
        case .pvKernel: pvKernel(seed)
        case .pvPygrub: pvPygrub(seed)
        case .hvmWindows: hvmWindows(seed)
        case .hvmLinux: hvmLinux(seed)
        }
    }
}
