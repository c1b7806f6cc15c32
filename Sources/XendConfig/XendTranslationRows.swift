/// The HVM, device and left-out rows of `XendTranslation.table`.
extension XendTranslation {
    static let timerModes: [Int64: String] = [
        0: "delay_for_missed_ticks", 1: "no_delay_for_missed_ticks",
        2: "no_missed_ticks_pending", 3: "one_missed_tick_pending",
    ]

    /// The display keys, read for the vnc row.
    static let displayReads: [XendRead] = [
        XendRead("vnc", .flag, .image), XendRead("vnclisten", .text, .image),
        XendRead("vncdisplay", .number, .image), XendRead("vncunused", .flag, .image),
        XendRead("vncpasswd", .text, .image), XendRead("keymap", .text, .image),
        XendRead("sdl", .flag, .image), XendRead("opengl", .flag, .image),
        XendRead("display", .text, .image), XendRead("xauthority", .text, .image),
    ]

    static let hvmRows: [XendTranslation] = [
        .init(
            "kernel, ramdisk, args, bootloader (HVM)", "—", .hvm,
            "not written: xl boots an HVM guest with its own hvmloader (noted when not empty)",
            keys: [],
            reads: [
                XendRead("kernel", .text, .imageOnly), XendRead("ramdisk", .text, .imageOnly),
                XendRead("args", .text, .imageOnly), XendRead("bootloader", .text, .top),
            ]
        ) { c, w in
            for key in ["kernel", "ramdisk", "args", "bootloader"] {
                if let value = c.text(key), !value.isEmpty {
                    w.note("image hvm \(key)", SXP.printable(value), "xl boots HVM guests with its own hvmloader")
                }
            }
        },
        .init(
            "cdrom (in the image)", "disk", .hvm,
            "Xen 3.0's emulated CD-ROM, qemu-dm's hdc: `format=raw,vdev=hdc,access=ro,devtype=cdrom,target=PATH` after the (device) disks; noted instead when a device is hdc already",
            reads: [XendRead("cdrom", .text, .imageOnly)]
        ) { _, _ in },  // written with the disks
        flag("acpi", xendDefault: false, xlDefault: true),
        flag("apic", xendDefault: false, xlDefault: true),
        flag("pae", xendDefault: false, xlDefault: true),
        flag("hpet", xendDefault: false, xlDefault: true),
        flag("hap", xendDefault: false, xlDefault: true),
        flag("viridian"),
        flag("nestedhvm"),
        flag("oos"),
        flag("xen_platform_pci"),
        flag("vpt_align"),
        choice(
            "timer_mode", timerModes,
            "0 delay_for_missed_ticks, 1 no_delay_for_missed_ticks, 2 no_missed_ticks_pending, 3 one_missed_tick_pending"
        ) { _ in "unknown timer mode; xl's default applies" },
        number("rtc_timeoffset", "seconds, when given"),
        text("boot", "when given"),
        list("serial", "one device (`pty`) or a list of them, as an xl list"),
        .init(
            "parallel", "—", .hvm, "not written: xl has no parallel port option",
            reads: [XendRead("parallel", .text, .image)]
        ) { c, w in
            if let v = c.text("parallel"), !v.isEmpty {
                w.note("parallel", SXP.printable(v), "xl has no parallel port option")
            }
        },
        flag("usb"),
        list("usbdevice", "one device (`tablet`) or a list of them, as an xl list"),
        text("soundhw", "when given"),
        flag("stdvga"),
        .init(
            "videoram", "videoram", .hvm,
            "MiB, when given; with stdvga raised to 8, the least xl accepts for qemu-xen-traditional",
            reads: [XendRead("videoram", .number, .image)]
        ) { c, w in
            guard var v = c.number("videoram") else { return }
            if c.flag("stdvga") == true && v < 8 {
                w.note("videoram", "\(v)", "raised to 8 MiB, the least xl takes for stdvga")
                v = 8
            }
            w.number("videoram", v)
        },
        flag("nographic"),
        .init(
            "vnc, vnclisten, vncdisplay, vncunused, vncpasswd, keymap, sdl, opengl, display, xauthority", "the same",
            .hvm,
            "from the image, else from the first (device (vfb)); vnc absent in both: xend's default 0 is written (xl's is 1)",
            reads: displayReads
        ) { (c, w) throws(XendConfigError) in
            try XLDeviceSpecs.hvmDisplay(c, &w)
        },
        flag("pci_msitranslate"),
        flag("pci_power_mgmt"),
        flag("gfx_passthru"),
    ]

    static let deviceRows: [XendTranslation] = [
        .init(
            "(device (vbd|tap|tap2 ...)): uname, dev, mode, backend", "disk", .all,
            "in order, `format=F,vdev=V,access=A[,devtype=cdrom][,backend=B][,script=S],target=T`, whatever the device class. uname `phy:` and `file:` are raw; `tap:`/`tap2:` (also `tap:tapdisk:`, `tap:ioemu:`) aio and sync raw, qcow, qcow2, vhd as such (vmdk, ram, remus and the ioemu driver are refused: xl has no such format); another `X:` uses `script=block-X`; empty (a CD-ROM drive without a disc) is `format=empty`. dev loses `ioemu:` and `/dev/`, `:cdrom` (`hdc:cdrom`, `ioemu:hdc:cdrom`) becomes `devtype=cdrom`, read-only; mode r is ro, w rw, w! rw (noted); backend when not dom0",
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
