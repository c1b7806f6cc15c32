import XenMigrationFormat
import XenMigrationIO

/// What the tail and the device model record gave the report.
struct TailSummary {
    /// The HVM params the tail wrote (an HVM tail's magic pfns).
    var hvmParams: [(index: UInt64, value: UInt64)] = []
    var deviceModelSignature: String?
    var deviceModelBytes: UInt64 = 0
    /// PV: the pfns the tail's unmapped list names, which have no page.
    var unmappedPFNs: UInt64 = 0
}

/// The image tail (PV: vcpu contexts and shared info; HVM: magic pfns and
/// the HVM context), then the device model record.
extension Conversion {
    /// Returns how many pfns the unmapped list named (a ballooned guest's
    /// pfns with no page): dropped from the output, counted in the report.
    func convertPVTail(_ image: ImageKind, _ legacy: LegacyReader, _ pv: PVLayout, onlineVCPUs: [Int])
        throws(StreamError) -> UInt64
    {
        let unmapped = try legacy.unmappedPFNCount()
        if unmapped != 0 {
            try legacy.skip(UInt64(unmapped) * UInt64(image.width.ulongSize), "unmapped pfn list")
            info(VerboseText.unmappedPFNs(unmapped))
        }
        for vcpu in onlineVCPUs {
            try vcpuContext(legacy, .x86PVVCPUBasic, vcpu: vcpu, size: pv.basicContextSize, "vcpu basic context")
            info(VerboseText.vcpuBasic(size: pv.basicContextSize))
            if pv.hasExtendedContext {
                try vcpuContext(
                    legacy, .x86PVVCPUExtended, vcpu: vcpu, size: UInt32(Legacy.extendedContextSize),
                    "vcpu extended context")
                info(VerboseText.vcpuExtended(size: Legacy.extendedContextSize))
            }
            if pv.xsaveLength != 0 {
                let headerOffset = legacy.offset
                let (mask, size) = try legacy.xsaveHeader()
                let xsaveLength = pv.xsaveLength
                guard xsaveLength >= Legacy.xsaveHeaderSize, size == UInt64(xsaveLength - Legacy.xsaveHeaderSize) else {
                    throw malformed(
                        "vcpu\(vcpu) xsave size 0x\(hex(size)) does not match xcnt length 0x\(hex(xsaveLength)) - 16",
                        at: headerOffset)
                }
                try vcpuContext(
                    legacy, .x86PVVCPUXsave, vcpu: vcpu, size: xsaveLength - Legacy.xsaveHeaderSize,
                    "vcpu xsave context")
                info(VerboseText.vcpuXsave(mask: mask, size: size))
            }
        }
        legacy.expectSharedInfo()
        try libxc.sharedInfo()
        info(VerboseText.sharedInfo)
        try libxc.end()
        return UInt64(unmapped)
    }

    private func vcpuContext(
        _ legacy: LegacyReader, _ type: Libxc.RecordType, vcpu: Int, size: UInt32, _ what: String
    ) throws(StreamError) {
        legacy.expectContext(size)
        try libxc.vcpuContext(type, vcpu: vcpu, size: size, what)
    }

    /// The magic pfns (written as HVM params, returned for the report) and
    /// the HVM context.
    func convertHVMTail(_ legacy: LegacyReader) throws(StreamError) -> [(index: UInt64, value: UInt64)] {
        let tail = try legacy.hvmTail()
        info(VerboseText.magicPFNs(tail))
        let params = [
            (HVMParam.ioreqPFN, tail.ioreqPFN), (HVMParam.bufioreqPFN, tail.bufioreqPFN),
            (HVMParam.storePFN, tail.storePFN),
        ]
        try libxc.hvmParams(params)
        info(VerboseText.hvmContext(size: tail.contextSize))
        try libxc.hvmContext(size: tail.contextSize)
        try libxc.end()
        return params
    }

    /// The device model record: its signature and size.
    func convertDeviceModel(_ legacy: LegacyReader) throws(StreamError) -> (signature: String, bytes: UInt64) {
        let offset = legacy.offset
        let signature = try legacy.deviceModelSignature()
        let name = String(decoding: signature, as: UTF8.self)
        info(VerboseText.qemuSignature(name))
        let header = UInt64(Libxl.emulatorHeaderSize)

        switch signature {
        case Legacy.deviceModelRecord0002, Legacy.remusDeviceModelState:
            let size = try legacy.deviceModelSize()
            if isLibxl {
                try Libxc.checkRecordLength(Libxl.RecordType.emulatorContext, header + UInt64(size), at: legacy.offset)
                try libxl.emulatorContext(.input(UInt64(size), "device model data"))
            } else {
                try libxc.rawDeviceModel(signature: signature, size: size)
            }
            return (name, UInt64(size))
        case Legacy.qemuDeviceModelRecord:
            // xend-era layout: the data runs to the end of the stream.
            guard isLibxl else {
                return (name, try libxc.rawDeviceModelToEnd(signature: signature))
            }
            let spool = try records.spoolRestOfInput()
            try Libxc.checkRecordLength(
                Libxl.RecordType.emulatorContext, header &+ spool.size, at: legacy.offset)
            try libxl.emulatorContext(.spool(spool))
            return (name, spool.size)
        default:
            throw StreamError(.unsupported, "Unrecognised Qemu sig '\(escapedASCII(signature))'", offset: offset)
        }
    }
}
