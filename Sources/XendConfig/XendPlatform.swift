/// A value read for a row of `XendTranslation.table`.
package enum XendValue: Sendable, Equatable {
    case flag(Bool)
    case number(Int64)
    case text([UInt8])
    /// One scalar, or a list of them (empty ones dropped).
    case list([[UInt8]])
}

/// A key a translation row reads into `XendDomainConfig.values`: how to
/// read it, and where xend keeps it.
package struct XendRead: Sendable {
    package enum Kind: Sendable {
        /// An integer (non-zero is true) or Python's True/False.
        case flag
        /// A decimal integer.
        case number
        /// A scalar.
        case text
        /// A scalar or a list of scalars.
        case list
    }

    package enum Place: Sendable {
        /// At the top level only.
        case top
        /// At the top level, else in the image.
        case topThenImage
        /// In the image, where xend keeps it; else at the top level, where
        /// `xm create` configurations may have it.
        case image
        /// In the image only.
        case imageOnly
    }

    package let key: String
    package let kind: Kind
    package let place: Place

    package init(_ key: String, _ kind: Kind, _ place: Place) {
        self.key = key
        self.kind = kind
        self.place = place
    }
}

/// Where the vcpus may run (xend's `cpus`).
package enum XendCPUs: Sendable, Equatable {
    /// One CPU list, in xl's syntax (`0-3,^1`), for every vcpu.
    case all([UInt8])
    /// One CPU list per vcpu, in vcpu order; an empty one: any CPU.
    case perVCPU([[UInt8]])

    /// Reads xend's forms: `((0 1) (2 3))` from a saved domain (lists of
    /// CPU numbers, one per vcpu), `("0-3,^1" ...)` or `"0-3,^1"` from a
    /// configuration file. nil when it is none of them.
    package init?(_ value: SXP) {
        if let text = value.scalar {
            guard Self.isCPUList(text) else { return nil }
            self = .all(text)
            return
        }
        guard let items = value.items else { return nil }
        var lists: [[UInt8]] = []
        for item in items {
            if let text = item.scalar {
                guard Self.isCPUList(text) else { return nil }
                lists.append(text)
            } else if let numbers = item.items {
                var cpus: [Int] = []
                for n in numbers {
                    guard let cpu = XendDomainConfig.integer(n), (0...65535).contains(cpu) else { return nil }
                    cpus.append(Int(cpu))
                }
                lists.append(Array(Self.ranges(cpus).utf8))
            } else {
                return nil
            }
        }
        self = .perVCPU(lists)
    }

    /// Digits, commas, ranges and `^` exclusions only.
    static func isCPUList(_ text: [UInt8]) -> Bool {
        text.allSatisfy {
            ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ",")
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "^")
        }
    }

    /// `[0, 1, 2, 3, 5]` as `0-3,5`.
    static func ranges(_ cpus: [Int]) -> String {
        let sorted = Array(Set(cpus)).sorted()
        var parts: [String] = []
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(j == i ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}

/// One xend setting that does not become part of the xl configuration.
public struct XendUntranslated: Sendable, Equatable, CustomStringConvertible {
    /// Where it was: `domid`, `image hvm parallel`, `device vif 0 accel`.
    public var key: String
    /// The value, compactly (see `SXP.description`).
    public var value: String
    public var reason: String

    public init(key: String, value: String, reason: String) {
        self.key = key
        self.value = value
        self.reason = reason
    }

    /// One line: `domid 7: runtime state of the saved domain`; long
    /// values cut short.
    public var description: String {
        let shown = value.count > 60 ? String(value.prefix(57)) + "..." : value
        return "\(key) \(shown): \(reason)"
    }
}
