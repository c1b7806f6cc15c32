/// The image tail (PV: vcpu contexts and shared info; HVM: magic pfns and
/// the HVM context), then the device model record.
extension Conversion {
    func convertPVTail() throws(StreamError) {
        let unmapped = try legacy.unmappedPFNCount()
        if unmapped != 0 {
            try transfer.discard(UInt64(unmapped) * UInt64(width.ulongSize), "unmapped pfn list")
            info(VerboseText.unmappedPFNs(unmapped))
        }
        for vcpu in onlineVCPUs {
            try vcpuContext(.x86PVVCPUBasic, vcpu: vcpu, size: UInt64(basicContextSize), "vcpu basic context")
            info(VerboseText.vcpuBasic(size: basicContextSize))
            if hasExtendedContext {
                try vcpuContext(
                    .x86PVVCPUExtended, vcpu: vcpu, size: UInt64(Legacy.extendedContextSize),
                    "vcpu extended context")
                info(VerboseText.vcpuExtended(size: Legacy.extendedContextSize))
            }
            if xsaveLength != 0 {
                let headerOffset = input.offset
                let (mask, size) = try legacy.xsaveHeader()
                guard xsaveLength >= Legacy.xsaveHeaderSize, size == UInt64(xsaveLength - Legacy.xsaveHeaderSize) else {
                    throw malformed(
                        "vcpu\(vcpu) xsave size 0x\(hex(size)) does not match xcnt length 0x\(hex(xsaveLength)) - 16",
                        at: headerOffset)
                }
                try vcpuContext(.x86PVVCPUXsave, vcpu: vcpu, size: size, "vcpu xsave context")
                info(VerboseText.vcpuXsave(mask: mask, size: size))
            }
        }
        let transfer = self.transfer
        input.expect(UInt64(Legacy.sharedInfoSize))
        try libxc.sharedInfo { (_) throws(StreamError) in
            try transfer.copy(UInt64(Legacy.sharedInfoSize), "shared info")
        }
        info(VerboseText.sharedInfo)
        try libxc.end()
    }

    private func vcpuContext(_ type: Libxc.RecordType, vcpu: Int, size: UInt64, _ what: String) throws(StreamError) {
        let transfer = self.transfer
        input.expect(size)
        try libxc.vcpuContext(type, vcpu: vcpu, size: size) { (_) throws(StreamError) in
            try transfer.copy(size, what)
        }
    }

    func convertHVMTail() throws(StreamError) {
        let tail = try legacy.hvmTail()
        info(VerboseText.magicPFNs(tail))
        try writeHVMParams([
            (HVMParam.ioreqPFN, tail.ioreqPFN), (HVMParam.bufioreqPFN, tail.bufioreqPFN),
            (HVMParam.storePFN, tail.storePFN),
        ])
        info(VerboseText.hvmContext(size: tail.contextSize))
        let transfer = self.transfer
        let size = UInt64(tail.contextSize)
        try libxc.hvmContext(size: size) { (_) throws(StreamError) in try transfer.copy(size, "HVM context") }
        try libxc.end()
    }

    func convertDeviceModel() throws(StreamError) {
        let offset = input.offset
        let signature = try legacy.deviceModelSignature()
        let name = String(decoding: signature, as: UTF8.self)
        info(VerboseText.qemuSignature(name))
        report.deviceModelSignature = name
        let transfer = self.transfer

        switch signature {
        case Legacy.deviceModelRecord0002, Legacy.remusDeviceModelState:
            let size = UInt64(try legacy.deviceModelSize())
            report.deviceModelBytes = size
            if isLibxl {
                try libxl.emulatorContext(length: size) { (_) throws(StreamError) in
                    try transfer.copy(size, "device model data")
                }
            } else {
                try records.output.write(signature)
                try records.output.u32(UInt32(size))
                try transfer.copy(size, "device model data")
            }
        case Legacy.qemuDeviceModelRecord:
            // xend-era layout: the data runs to the end of the stream.
            if isLibxl {
                let spool = try Spool(restOf: transfer)
                report.deviceModelBytes = spool.size
                let allowZeroCopy = transfer.allowZeroCopy
                try libxl.emulatorContext(length: spool.size) { (output) throws(StreamError) in
                    try spool.copy(to: output, allowZeroCopy: allowZeroCopy)
                }
            } else {
                try records.output.write(signature)
                report.deviceModelBytes = try transfer.copyToEnd()
            }
        default:
            throw StreamError(.unsupported, "Unrecognised Qemu sig '\(escapedASCII(signature))'", offset: offset)
        }
    }
}
