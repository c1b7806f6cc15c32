import XenMigrationFormat
import XenMigrationIO

/// Checks a libxc migration stream (version 2 or 3) against the spec as it
/// streams past: headers, then every record up to END. Page data is
/// skipped over, never held.
package final class LibxcVerifier {
    private let context: VerifierContext
    private var reader: StreamReader { context.reader }
    package private(set) var version: UInt32 = 0
    private var squashedPageData = 0
    private var sawStaticDataEnd = false

    init(context: VerifierContext) { self.context = context }

    private func info(_ line: @autoclosure () -> String) { context.info(line()) }

    package func verify() throws(StreamError) {
        try verifyImageHeader()
        try verifyDomainHeader()
        context.boundary()
        while try verifyRecord() != .end {}
    }

    private func streamError(_ message: String, at offset: UInt64) -> StreamError {
        StreamError(.malformed, message, offset: offset)
    }

    private func verifyImageHeader() throws(StreamError) {
        let offset = reader.offset
        let header = try Libxc.ImageHeader.read(from: reader)
        let (marker, ident, version) = (header.marker, header.id, header.version)
        let (options, reserved1, reserved2) = (header.options, header.reserved1, header.reserved2)
        guard marker == Libxc.imageMarker else {
            throw streamError(
                "Bad image marker: Expected 0x\(hex(Libxc.imageMarker)), got 0x\(hex(marker))", at: offset)
        }
        guard ident == Libxc.imageID else {
            throw streamError("Bad image id: Expected 0x\(hex(Libxc.imageID)), got 0x\(hex(ident))", at: offset + 8)
        }
        guard Libxc.StreamVersion(rawValue: version) != nil else {
            throw streamError("Unknown image version: Expected 2 <= ver <= 3, got \(version)", at: offset + 12)
        }
        self.version = version
        guard options & Libxc.optionReservedMask == 0 else {
            throw streamError(
                "Reserved bits set in image options field: 0x\(hex(options & Libxc.optionReservedMask))",
                at: offset + 16)
        }
        guard reserved1 == 0 && reserved2 == 0 else {
            throw streamError(
                "Reserved bits set in image header: 0x\(hex(reserved1, width: 4)):0x\(hex(reserved2, width: 8))",
                at: offset + 18)
        }
        guard options & Libxc.optionBigEndian == 0 else {
            throw streamError("Stream is not native endianess - unable to validate", at: offset + 16)
        }
        info(VerifierText.imageHeader(version: version))
    }

    private func verifyDomainHeader() throws(StreamError) {
        let offset = reader.offset
        let header = try Libxc.DomainHeader.read(from: reader)
        let (type, pageShift, reserved) = (header.type, header.pageShift, header.reserved)
        guard let domain = Libxc.DomainType(rawValue: type) else {
            throw streamError("Unrecognised domain type 0x\(hex(type))", at: offset)
        }
        guard reserved == 0 else {
            throw streamError("Reserved bits set in domain header 0x\(hex(reserved, width: 4))", at: offset + 6)
        }
        guard pageShift == Libxc.pageShift else {
            throw streamError("Page shift expected to be 12.  Got \(pageShift)", at: offset + 4)
        }
        info(VerifierText.domainHeader(domain, xenMajor: header.xenMajor, xenMinor: header.xenMinor))
    }

    private func verifyRecord() throws(StreamError) -> Libxc.RecordType {
        let frame = try context.records.nextFrame()
        let length = frame.length
        guard let type = Libxc.RecordType(rawValue: frame.rawType) else {
            throw streamError("Unrecognised record type 0x\(hex(frame.rawType))", at: frame.offset)
        }
        if type == .pageData {
            squashedPageData += 1
        } else {
            if squashedPageData > 0 {
                info(VerifierText.squashed(squashedPageData))
                squashedPageData = 0
            }
            info(VerifierText.libxcRecord(type.name, length: length))
        }
        let body = context.records.body(type, frame)
        try check(type, body)
        try body.finish()
        context.boundary()
        return type
    }

    private func check(_ type: Libxc.RecordType, _ body: RecordBodyReader) throws(StreamError) {
        let length = body.length
        switch type {
        case .end:
            guard length == 0 else { throw body.error("End record with non-zero length") }
        case .verify:
            guard length == 0 else { throw body.error("Verify record with non-zero length") }
        case .checkpoint:
            guard length == 0 else { throw body.error("Checkpoint record with non-zero length") }
        case .staticDataEnd:
            guard length == 0 else { throw body.error("Static data end record with non-zero length") }
            guard version >= 3 else { throw body.error("Static data end record found in v2 stream") }
            guard !sawStaticDataEnd else { throw body.error("Second static data end record") }
            sawStaticDataEnd = true
        case .pageData:
            try requireStaticDataEnd(body)
            try checkPageData(body)
        case .x86PVInfo:
            guard length == Libxc.PVInfo.length else {
                throw body.error("x86_pv_info: expected length of 8, got \(length)")
            }
            let pvInfo = try Libxc.PVInfo.read(from: body)
            let (width, levels) = (pvInfo.guestWidth, pvInfo.levels)
            let (reserved1, reserved2) = (pvInfo.reserved1, pvInfo.reserved2)
            guard width == 4 || width == 8 else { throw body.error("Expected width of 4 or 8, got \(width)") }
            guard levels == 3 || levels == 4 else { throw body.error("Expected levels of 3 or 4, got \(levels)") }
            guard reserved1 == 0 && reserved2 == 0 else {
                throw body.error(
                    "Reserved bits set in X86_PV_INFO: 0x\(hex(reserved1, width: 4)) 0x\(hex(reserved2, width: 8))")
            }
            info(VerifierText.pvInfo(guestWidth: width, levels: levels))
        case .x86PVP2MFrames:
            try requireStaticDataEnd(body)
            guard length >= 8 else {
                throw body.error("x86_pv_p2m_frames: record length must be at least 8 bytes long")
            }
            guard length % 8 == 0 else { throw body.error("Length expected to be a multiple of 8, not \(length)") }
            let pfns = try WordPair.read(from: body)
            info(VerifierText.p2mFrames(start: pfns.first, end: pfns.second))
        case .x86PVVCPUBasic, .x86PVVCPUExtended, .x86PVVCPUXsave, .x86PVVCPUMSRs:
            let name: String =
                switch type {
                case .x86PVVCPUBasic: "basic"
                case .x86PVVCPUExtended: "extended"
                case .x86PVVCPUXsave: "xsave"
                default: "msrs"
                }
            guard length >= 8 else {
                throw body.error("X86_PV_VCPU_\(name) record length must be at least 8 bytes long")
            }
            if length == 8 { info(VerifierText.emptyVCPU(name)) }
            let (vcpu, reserved) = try WordPair.read(from: body).pair
            guard reserved == 0 else {
                throw body.error("Reserved bits set in x86_pv_vcpu_\(name) record 0x\(hex(reserved, width: 4))")
            }
            info(VerifierText.vcpu(vcpu, name, bytes: length - 8))
        case .sharedInfo:
            guard length == Legacy.sharedInfoSize else {
                throw body.error("Length expected to be \(Legacy.sharedInfoSize) bytes, not \(length)")
            }
        case .x86TSCInfo:
            guard length == Libxc.TSCInfo.length else { throw body.error("Length should be 24 bytes") }
            let tsc = try Libxc.TSCInfo.read(from: body)
            guard tsc.reserved == 0 else {
                throw body.error("Reserved bits set in TSC_INFO: 0x\(hex(tsc.reserved, width: 8))")
            }
            info(VerifierText.tscInfo(mode: tsc.mode, khz: tsc.khz, nsec: tsc.nsec, incarnation: tsc.incarnation))
        case .hvmContext:
            guard length > 0 else { throw body.error("Zero length HVM context") }
        case .hvmParams:
            guard length >= 8 else { throw body.error("Length should be at least 8 bytes") }
            let (count, reserved) = try WordPair.read(from: body).pair
            guard reserved == 0 else { throw body.error("Reserved field not zero (0x\(hex(reserved, width: 4)))") }
            if count == 0 { info(VerifierText.emptyHVMParams) }
            let expected = 8 + UInt64(count) * 16
            guard UInt64(length) == expected else { throw body.error("Length should be \(expected) bytes") }
        case .toolstack:
            throw body.error("Found Toolstack record in stream (deprecated)")
        case .checkpointDirtyPFNList:
            guard length % 8 == 0 else {
                throw body.error("Length \(length) is not a whole number of 8-byte pfns")
            }
        case .x86CPUIDPolicy:
            guard version >= 3 else { throw body.error("x86 CPUID policy record found in v2 stream") }
            guard length >= 24 && length % 24 == 0 else {
                throw body.error("Record length \(length), expected multiple of 24")
            }
        case .x86MSRPolicy:
            guard version >= 3 else { throw body.error("x86 MSR policy record found in v2 stream") }
            guard length >= 16 && length % 16 == 0 else {
                throw body.error("Record length \(length), expected multiple of 16")
            }
        }
    }

    private func requireStaticDataEnd(_ body: RecordBodyReader) throws(StreamError) {
        if version >= 3 && !sawStaticDataEnd {
            throw body.error("\(body.type) record before STATIC_DATA_END in a v\(version) stream")
        }
    }

    private func checkPageData(_ body: RecordBodyReader) throws(StreamError) {
        let length = UInt64(body.length)
        guard length > 8 else { throw body.error("PAGE_DATA record must be at least 8 bytes long") }
        let (count, reserved) = try WordPair.read(from: body).pair
        guard reserved == 0 else {
            throw body.error("Reserved bits set in PAGE_DATA record 0x\(hex(reserved, width: 4))")
        }
        let pfnBytes = UInt64(count) * 8
        guard length - 8 >= pfnBytes else {
            throw body.error("PAGE_DATA record must contain a pfn record for each count")
        }
        var pages: UInt64 = 0
        for index in 0..<UInt64(count) {
            let pfn = try body.u64()
            if pfn & Libxc.pfnReservedMask != 0 {
                throw body.error("Reserved bits set in pfn[\(index)]: 0x\(hex(pfn & Libxc.pfnReservedMask, width: 16))")
            }
            let type = pfn >> Libxc.pfnTypeShift
            if (5...8).contains(type) {
                throw body.error("Invalid type value in pfn[\(index)]: 0x\(hex(pfn & (0xf << 60), width: 16))")
            }
            // Normal pages and pagetables (pinned or not) carry data.
            if (pfn >> Libxc.pfnTypeShift) & 0x7 <= 4 { pages += 1 }
        }
        let pageBytes = pages * UInt64(Libxc.pageSize)
        guard length == 8 + pfnBytes + pageBytes else {
            throw body.error("Expected 8 + \(pfnBytes) + \(pageBytes), got \(length)")
        }
    }
}
