/// The HVM, device and left-out rows of `XendTranslation.table`.
extension XendTranslation {
    /// A 0/1 platform key. When it is absent and xend's default differs
    /// from xl's, xend's is written, so the guest sees the same machine.
    static func flag(
        _ key: String, xendDefault: Bool? = nil, xlDefault: Bool? = nil,
        _ get: @escaping @Sendable (XendHVMOptions) -> Bool?
    ) -> XendTranslation {
        var rule = "0/1, when given"
        var fallback: Bool?
        if let xd = xendDefault, let xld = xlDefault, xd != xld {
            rule = "0/1; absent: xend's default \(xd ? 1 : 0) is written (xl's is \(xld ? 1 : 0))"
            fallback = xd
        }
        let absent = fallback
        return .init(key, key, .hvm, rule) { (c, w) throws(XendConfigError) in
            if let v = get(c.hvm) ?? absent { w.flag(key, v) }
        }
    }

    static let timerModes: [Int64: String] = [
        0: "delay_for_missed_ticks", 1: "no_delay_for_missed_ticks",
        2: "no_missed_ticks_pending", 3: "one_missed_tick_pending",
    ]

    static let hvmRows: [XendTranslation] = [
        .init(
            "kernel, ramdisk, args, bootloader (HVM)", "—", .hvm,
            "not written: xl boots an HVM guest with its own hvmloader (noted when not empty)",
            keys: []
        ) { (c, w) throws(XendConfigError) in
            for (key, value) in [
                ("kernel", c.kernel), ("ramdisk", c.ramdisk), ("args", c.args), ("bootloader", c.bootloader),
            ] {
                if let value, !value.isEmpty {
                    w.note("image hvm \(key)", SXP.printable(value), "xl boots HVM guests with its own hvmloader")
                }
            }
        },
        flag("acpi", xendDefault: false, xlDefault: true) { $0.acpi },
        flag("apic", xendDefault: false, xlDefault: true) { $0.apic },
        flag("pae", xendDefault: false, xlDefault: true) { $0.pae },
        flag("hpet", xendDefault: false, xlDefault: true) { $0.hpet },
        flag("hap", xendDefault: false, xlDefault: true) { $0.hap },
        flag("viridian") { $0.viridian },
        flag("nestedhvm") { $0.nestedhvm },
        flag("oos") { $0.oos },
        flag("xen_platform_pci") { $0.xenPlatformPCI },
        flag("vpt_align") { $0.vptAlign },
        .init(
            "timer_mode", "timer_mode", .hvm,
            "0 delay_for_missed_ticks, 1 no_delay_for_missed_ticks, 2 no_missed_ticks_pending, 3 one_missed_tick_pending"
        ) { (c, w) throws(XendConfigError) in
            guard let mode = c.hvm.timerMode else { return }
            if let name = timerModes[mode] {
                try w.string("timer_mode", name)
            } else {
                w.note("timer_mode", "\(mode)", "unknown timer mode; xl's default applies")
            }
        },
        .init("rtc_timeoffset", "rtc_timeoffset", .hvm, "seconds, when given") { (c, w) throws(XendConfigError) in
            if let v = c.hvm.rtcTimeoffset { w.number("rtc_timeoffset", v) }
        },
        .init("boot", "boot", .hvm, "when given") { (c, w) throws(XendConfigError) in
            if let v = c.hvm.boot, !v.isEmpty { try w.string("boot", v) }
        },
        .init("serial", "serial", .hvm, "a list of the devices given") { (c, w) throws(XendConfigError) in
            if let v = c.hvm.serial, !v.isEmpty { try w.list("serial", v) }
        },
        .init("parallel", "—", .hvm, "not written: xl has no parallel port option") { (c, w) throws(XendConfigError) in
            if let v = c.hvm.parallel, !v.isEmpty {
                w.note("parallel", SXP.printable(v), "xl has no parallel port option")
            }
        },
        flag("usb") { $0.usb },
        .init("usbdevice", "usbdevice", .hvm, "a list of the devices given") { (c, w) throws(XendConfigError) in
            if let v = c.hvm.usbdevice, !v.isEmpty { try w.list("usbdevice", v) }
        },
        .init("soundhw", "soundhw", .hvm, "when given") { (c, w) throws(XendConfigError) in
            if let v = c.hvm.soundhw, !v.isEmpty { try w.string("soundhw", v) }
        },
        flag("stdvga") { $0.stdvga },
        .init(
            "videoram", "videoram", .hvm,
            "MiB, when given; with stdvga raised to 8, the least xl accepts for qemu-xen-traditional"
        ) { (c, w) throws(XendConfigError) in
            guard var v = c.hvm.videoram else { return }
            if c.hvm.stdvga == true && v < 8 {
                w.note("videoram", "\(v)", "raised to 8 MiB, the least xl takes for stdvga")
                v = 8
            }
            w.number("videoram", v)
        },
        flag("nographic") { $0.nographic },
        .init(
            "vnc, vnclisten, vncdisplay, vncunused, vncpasswd, keymap, sdl, opengl, display, xauthority", "the same",
            .hvm,
            "from the image, else from the first (device (vfb)); vnc absent in both: xend's default 0 is written (xl's is 1)",
            keys: [
                "vnc", "vnclisten", "vncdisplay", "vncunused", "vncpasswd", "keymap", "sdl", "opengl", "display",
                "xauthority",
            ]
        ) { (c, w) throws(XendConfigError) in
            try XLDeviceSpecs.hvmDisplay(c, &w)
        },
        flag("pci_msitranslate") { $0.pciMsitranslate },
        flag("pci_power_mgmt") { $0.pciPowerMgmt },
        flag("gfx_passthru") { $0.gfxPassthru },
    ]

    static let deviceRows: [XendTranslation] = [
        .init(
            "(device (vbd|tap|tap2 ...)): uname, dev, mode, backend", "disk", .all,
            "in order, `format=F,vdev=V,access=A[,devtype=cdrom][,backend=B][,script=S],target=T`. uname `phy:` and `file:` are raw; `tap:`/`tap2:` aio and sync raw, qcow, qcow2, vhd as such (other blktap drivers are refused); another `X:` uses `script=block-X`. dev loses `ioemu:` and `/dev/`, `:cdrom` becomes `devtype=cdrom`; mode r is ro, w rw, w! rw (noted); backend when not dom0",
            keys: []
        ) { (c, w) throws(XendConfigError) in
            try XLDeviceSpecs.disks(c, &w)
        },
        .init(
            "(device (vif ...)): mac, bridge, script, ip, model, type, rate, vifname, backend", "vif", .all,
            "in order, as `key=value`; type (HVM) ioemu stays, netfront becomes vif; rate `B,U` (bytes per U µs, as a running xend reports it) becomes `NB/s@Uus`; model and type are dropped for PV",
            keys: []
        ) { (c, w) throws(XendConfigError) in
            try XLDeviceSpecs.vifs(c, &w)
        },
        .init(
            "(device (vfb ...))", "vfb", .pv,
            "as `key=value` with xl's vfb keys; a legacy `(type vnc)` is `vnc=1`. For HVM see the vnc row", keys: []
        ) { (c, w) throws(XendConfigError) in
            try XLDeviceSpecs.vfbs(c, &w)
        },
        .init(
            "(device (pci (dev ...)))", "pci", .all,
            "`DDDD:BB:SS.F[@VSLOT]` and the options xl knows (msitranslate, power_mgmt, permissive, seize, rdm_policy)",
            keys: []
        ) { (c, w) throws(XendConfigError) in
            try XLDeviceSpecs.pci(c, &w)
        },
        .init("(device (vkbd)), (device (console))", "—", .all, "not written: xl adds them itself", keys: []),
        .init("(device (vtpm|vscsi|vusb|vif2|ioports|irq))", "—", .all, "not translated (noted)", keys: []),
    ]

    static let dropped: [XendTranslation] = [
        .init(
            "domid, start_time, cpu_time, online_vcpus, status, state, store_mfn, console_mfn, node, shutdown_reason, up_time",
            "—", .all, "runtime state of the saved domain",
            keys: [
                "domid", "start_time", "cpu_time", "online_vcpus", "status", "state", "store_mfn", "console_mfn",
                "node",
                "shutdown_reason", "up_time",
            ]),
        .init(
            "on_xend_start, on_xend_stop", "—", .all, "what xend did when it started or stopped; xl has no daemon",
            keys: ["on_xend_start", "on_xend_stop"]),
        .init("features", "—", .all, "xl has no PV kernel feature option"),
        .init("description", "—", .all, "xl has no description option"),
        .init(
            "security_label, security", "—", .all, "ACM labels: xl uses XSM labels (seclabel)",
            keys: ["security_label", "security"]),
        .init(
            "cpuid, cpuid_check", "—", .all, "CPUID masks are not translated (give xl's cpuid by hand)",
            keys: ["cpuid", "cpuid_check"]),
        .init("cpu", "—", .all, "deprecated xend option (use cpus)"),
        .init("notes", "—", .pv, "ELF notes of the running kernel (runtime state)"),
        .init(
            "loader, device_model", "—", .hvm, "xl uses the restoring Xen's own hvmloader and qemu-dm",
            keys: ["loader", "device_model"]),
        .init("fda, fdb", "—", .hvm, "xl has no floppy option", keys: ["fda", "fdb"]),
        .init("monitor, monitor_path", "—", .hvm, "xl has no qemu monitor option", keys: ["monitor", "monitor_path"]),
        .init("vncconsole", "—", .hvm, "xl starts a viewer with `xl create -V`"),
        .init("pci (in the image)", "—", .hvm, "the (device (pci ...)) entries are translated instead", keys: ["pci"]),
        .init(
            "isa, vhpt, guest_os_type, xen_extended_power_mgmt", "—", .hvm,
            "xl has no such option (ISA-only machine, IA-64, power management)",
            keys: ["isa", "vhpt", "guest_os_type", "xen_extended_power_mgmt"]),
        .init(
            "superpages, memory_sharing, s3_integrity, machine_address_size, suppress_spurious_page_faults",
            "—", .all, "xl has no such option",
            keys: [
                "superpages", "memory_sharing", "s3_integrity", "machine_address_size", "suppress_spurious_page_faults",
            ]),
        .init(
            "target, backend, change_home_server, restart", "—", .all, "xend-only options",
            keys: ["target", "backend", "change_home_server", "restart"]),
    ]
}
