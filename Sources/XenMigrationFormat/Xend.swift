/// Images written by xend's `xm save` (XendCheckpoint.save, Xen 4.4 and
/// older): `"LinuxGuestRecord"`, a big-endian int32 length, the domain's
/// configuration as an S-expression of that length, then the legacy
/// stream `xc_save` wrote (no xl header, no toolstack chunk) and, for an
/// HVM guest, `"QemuDeviceModelRecord"` and qemu-dm's state up to the end.
///
/// Here its constants; `XenMigrationIO` reads its front, and what the
/// configuration says is `XendConfig`'s.
public enum Xend {
    /// The 16 bytes an xend image starts with.
    public static let magic: [UInt8] = Array("LinuxGuestRecord".utf8)
    /// The largest configuration read (xend's are a few KiB).
    public static let maxConfigLength = 1 << 20
}
