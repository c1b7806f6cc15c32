import TestSupport
import Testing
import XenLegacyGenerator
import XendConfig

/// xend's `(domain ...)` record to xl.cfg: every translated file is read
/// back with a reader of xl's own grammar (Support/XLConfigGrammar.swift).
@Suite("xend configuration to xl.cfg")
struct XendTranslationTests {
    typealias P = PyValue

    /// A minimal running domain plus `extra` top-level entries and `image` entries.
    static func record(
        guest: XendGuestType = .pv, name: String = "guest", top extra: [P] = [], image: [P] = [],
        devices: [P] = []
    ) -> [UInt8] {
        var imageItems: [P] = [.s(guest == .pv ? "linux" : "hvm")]
        if guest == .pv
            && !image.contains(where: {
                if case .list(let l) = $0 { return l.first == .s("kernel") } else { return false }
            })
        {
            imageItems.append(.pair("kernel", "/boot/vmlinuz"))
        }
        imageItems += image
        var items: [P] = [.s("domain"), .pair("name", name), .pair("memory", 512)]
        items += extra
        items.append(.list([.s("image"), .list(imageItems)]))
        items += devices.map { .list([.s("device"), $0]) }
        return P.list(items).sxpString()
    }

    /// Short in test failure messages (the whole model is large).
    struct Translated: CustomTestStringConvertible {
        var domain: XendDomainConfig
        var xl: XLConfig
        var grammar: XLConfigGrammar.Config

        subscript(_ key: String) -> String? { grammar[key]?.text }
        func list(_ key: String) -> [String]? { grammar[key]?.strings }
        func noted(_ key: String) -> Bool { xl.untranslated.contains { $0.key == key } }
        var testDescription: String { "xl config of \"\(self["name"] ?? "?")\"" }
    }

    static func translate(_ config: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> Translated {
        let domain = try XendDomainConfig(parsing: config, baseOffset: 20)
        let xl = try XLConfig(domain)
        XLConfigDump.record(xl.text)
        let grammar = try XLConfigGrammar.parse(xl.text)
        #expect(grammar.duplicates.isEmpty, "keys written twice: \(grammar.duplicates)", sourceLocation: sourceLocation)
        #expect(xl.text.last == 0x0a, sourceLocation: sourceLocation)
        return Translated(domain: domain, xl: xl, grammar: grammar)
    }

    static func translate(
        guest: XendGuestType = .pv, name: String = "guest", top: [P] = [], image: [P] = [],
        devices: [P] = []
    ) throws -> Translated {
        try translate(record(guest: guest, name: name, top: top, image: image, devices: devices))
    }

    /// The error a record gives, from reading or from translating.
    static func failure(_ config: [UInt8]) -> XendConfigError? {
        do throws(XendConfigError) {
            _ = try XLConfig(try XendDomainConfig(parsing: config, baseOffset: 20))
            return nil
        } catch {
            return error
        }
    }

    // MARK: general keys

    @Test("name, uuid, memory, maxmem, scheduling, actions")
    func generalKeys() throws {
        let t = try Self.translate(
            top: [
                .pair("uuid", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"), .pair("maxmem", 1024),
                .pair("cpu_weight", 512), .pair("cpu_cap", 50), .pair("on_poweroff", "preserve"),
                .pair("on_reboot", "rename-restart"), .pair("shadow_memory", 8),
                .pair("pool_name", "batch"), .pair("localtime", 1),
            ],
            image: [.pair("tsc_mode", 2), .pair("nomigrate", 1)])
        #expect(t["name"] == "guest")
        #expect(t["type"] == "pv")
        #expect(t["device_model_version"] == nil)
        #expect(t["uuid"] == "3f2504e0-4f89-11d3-9a0c-0305e82c3301")
        #expect(t["memory"] == "512")
        #expect(t["maxmem"] == "1024")
        #expect(t["cpu_weight"] == "512")
        #expect(t["cap"] == "50")
        #expect(t["on_poweroff"] == "preserve")
        #expect(t["on_reboot"] == "rename-restart")
        #expect(t["on_crash"] == "restart", "xend's default, written because xl's is destroy")
        #expect(t["shadow_memory"] == "8")
        #expect(t["pool"] == "batch")
        #expect(t["localtime"] == "1")
        #expect(t["tsc_mode"] == "native")
        #expect(t["nomigrate"] == "1")
        #expect(t["vcpus"] == "1")
        #expect(t["maxvcpus"] == nil)
        let low = try Self.translate(top: [.pair("maxmem", 256)], image: [.pair("vncpasswd", "secret")])
        #expect(low["maxmem"] == nil && low.noted("maxmem"))
        let password = low.xl.untranslated.first { $0.key == "image linux vncpasswd" }
        #expect(password?.value == "(hidden)" && password?.reason == "applies to HVM guests only")
        #expect(!String(decoding: low.xl.text, as: UTF8.self).contains("secret"))
    }

    @Test("vcpus and vcpu_avail")
    func vcpus() throws {
        var t = try Self.translate(top: [.pair("vcpus", 4), .pair("vcpu_avail", 3)])
        #expect(t["vcpus"] == "2")
        #expect(t["maxvcpus"] == "4")
        #expect(!t.noted("vcpu_avail"))
        t = try Self.translate(top: [.pair("vcpus", 4), .pair("vcpu_avail", 5)])
        #expect(t["vcpus"] == "2")
        #expect(t.noted("vcpu_avail"), "vcpus 0 and 2 online: xl will start 0 and 1")
        // A Python long: 100 of 128 vcpus online.
        t = try Self.translate(top: [
            .pair("vcpus", 128), .list([.s("vcpu_avail"), .raw("1267650600228229401496703205375")]),
        ])
        #expect(t["vcpus"] == "100")
        #expect(t["maxvcpus"] == "128")
        #expect(!t.noted("vcpu_avail"))
        t = try Self.translate(top: [.pair("vcpus", 2), .pair("vcpu_avail", 7)])
        #expect(t["vcpus"] == "2", "bits above vcpus do not count")
    }

    @Test("cpus in every form xend wrote")
    func cpus() throws {
        #expect(
            try Self.translate(top: [.pair("vcpus", 2), .list([.s("cpus"), .list([.list([]), .list([])])])])["cpus"]
                == nil)
        #expect(
            try Self.translate(top: [
                .pair("vcpus", 2),
                .list([
                    .s("cpus"),
                    .list([
                        .list([.int(1), .int(0), .int(2), .int(5)]),
                        .list([.int(0), .int(1), .int(2), .int(5)]),
                    ]),
                ]),
            ])["cpus"]
                == "0-2,5")
        let t = try Self.translate(top: [
            .pair("vcpus", 2), .list([.s("cpus"), .list([.list([.int(4)]), .list([])])]),
        ])
        #expect(t.list("cpus") == ["4", "all"])
        #expect(try Self.translate(top: [.pair("cpus", "0-3,^1")])["cpus"] == "0-3,^1")
        #expect(try Self.translate(top: [.pair("cpus", "node:0")]).noted("cpus"))
    }

    @Test("PV kernel, command line, bootloader")
    func pv() throws {
        var t = try Self.translate(image: [
            .pair("ramdisk", "/boot/initrd"), .pair("args", "ro quiet"),
            .pair("root", "/dev/xvda1"), .pair("ip", "10.0.0.2"),
        ])
        #expect(t["kernel"] == "/boot/vmlinuz")
        #expect(t["ramdisk"] == "/boot/initrd")
        #expect(t["extra"] == "root=/dev/xvda1 ip=10.0.0.2 ro quiet")
        t = try Self.translate(image: [.pair("args", "root=/dev/sda1 ro"), .pair("root", "/dev/xvda1")])
        #expect(t["extra"] == "root=/dev/sda1 ro", "xend left args alone when it named root=")
        t = try Self.translate(
            top: [.pair("bootloader", "/usr/lib/xen-4.1/bin/pygrub"), .pair("bootloader_args", "-q  --entry=2")],
            image: [.pair("kernel", "")])
        #expect(t["bootloader"] == "pygrub")
        #expect(t.list("bootloader_args") == ["-q", "--entry=2"])
        #expect(t["kernel"] == nil)
        t = try Self.translate(top: [.pair("bootloader", "/opt/boot/my-loader")], image: [.pair("kernel", "")])
        #expect(t["bootloader"] == "/opt/boot/my-loader")
        let error = Self.failure(Self.record(top: [.pair("bootloader", "")], image: [.pair("kernel", "")]))
        #expect(error?.kind == .malformed && error?.message.contains("neither kernel nor bootloader") == true)
    }

    // MARK: HVM

    @Test("HVM keys absent: xend's defaults where xl's differ")
    func hvmDefaults() throws {
        let t = try Self.translate(guest: .hvm)
        #expect(t["type"] == "hvm")
        #expect(t["device_model_version"] == "qemu-xen-traditional")
        for key in ["acpi", "apic", "pae", "hpet", "hap", "vnc"] { #expect(t[key] == "0", "\(key)") }
        for key in ["viridian", "timer_mode", "xen_platform_pci", "stdvga", "boot", "serial", "kernel", "extra"] {
            #expect(t[key] == nil, "\(key)")
        }
    }

    @Test("HVM keys given", arguments: [true, false])
    func hvmKeys(inImage: Bool) throws {
        let keys: [P] = [
            .pair("acpi", 1), .pair("apic", 1), .pair("pae", 1), .pair("hpet", 1), .pair("viridian", 1),
            .pair("hap", 1), .pair("nestedhvm", 1), .pair("timer_mode", 2), .pair("rtc_timeoffset", -7200),
            .pair("boot", "dc"), .pair("serial", "pty"), .pair("usb", 1), .pair("usbdevice", "tablet"),
            .pair("soundhw", "sb16"), .pair("stdvga", 0), .pair("videoram", 8), .pair("xen_platform_pci", 0),
            .pair("vnc", 1), .pair("vnclisten", "0.0.0.0"), .pair("vncunused", 0), .pair("vncdisplay", 3),
            .pair("vncpasswd", "pa\"ss\\word"), .pair("keymap", "fr"), .pair("sdl", 0), .pair("nographic", 0),
            .pair("localtime", 1), .pair("oos", 0), .pair("gfx_passthru", 0), .pair("parallel", "/dev/parport0"),
        ]
        let t = try Self.translate(guest: .hvm, top: inImage ? [] : keys, image: inImage ? keys : [])
        let expected = [
            "acpi": "1", "apic": "1", "pae": "1", "hpet": "1", "viridian": "1", "hap": "1", "nestedhvm": "1",
            "timer_mode": "no_missed_ticks_pending", "rtc_timeoffset": "-7200", "boot": "dc", "usb": "1",
            "soundhw": "sb16", "stdvga": "0", "videoram": "8", "xen_platform_pci": "0", "vnc": "1",
            "vnclisten": "0.0.0.0", "vncunused": "0", "vncdisplay": "3", "vncpasswd": "pa\"ss\\word",
            "keymap": "fr", "sdl": "0", "nographic": "0", "localtime": "1", "oos": "0", "gfx_passthru": "0",
        ]
        for (key, value) in expected { #expect(t[key] == value, "\(key)") }
        #expect(t.list("serial") == ["pty"])
        #expect(t.list("usbdevice") == ["tablet"])
        #expect(t.noted("parallel"))
        #expect(t.grammar["parallel"] == nil)
    }

    @Test("HVM display from the vfb device when the image has none")
    func hvmVFB() throws {
        let t = try Self.translate(
            guest: .hvm,
            devices: [
                .list([
                    .s("vfb"), .pair("vnc", "1"), .pair("vncunused", "1"),
                    .pair("vnclisten", "127.0.0.1"), .pair("vncdisplay", "2"),
                    .pair("location", "127.0.0.1:5902"),
                ])
            ])
        #expect(t["vnc"] == "1")
        #expect(t["vncunused"] == "1")
        #expect(t["vnclisten"] == "127.0.0.1")
        #expect(t["vncdisplay"] == "2")
        #expect(t.grammar["vfb"] == nil)
    }

    @Test("stdvga with less than 8 MiB of video RAM is raised to xl's minimum")
    func stdvgaVideoram() throws {
        let t = try Self.translate(guest: .hvm, image: [.pair("stdvga", 1), .pair("videoram", 4)])
        #expect(t["videoram"] == "8")
        #expect(t.noted("videoram"))
    }

    @Test("timer and TSC modes xl does not have are noted, not written")
    func unknownModes() throws {
        let t = try Self.translate(guest: .hvm, image: [.pair("timer_mode", 9), .pair("tsc_mode", 3)])
        #expect(t["timer_mode"] == nil && t.noted("timer_mode"))
        #expect(t["tsc_mode"] == nil && t.noted("tsc_mode"))
    }
}
