/// Rows for keys whose value goes over as it is: one line of the table
/// says where the key is read, what it must look like, and what xl key it
/// becomes.
extension XendTranslation {
    /// A 0/1 key. When it is absent and xend's default differs from xl's,
    /// xend's is written, so the guest sees the same machine.
    static func flag(
        _ key: String, guests: Guests = .hvm, place: XendRead.Place = .image, xendDefault: Bool? = nil,
        xlDefault: Bool? = nil, rule given: String? = nil
    ) -> XendTranslation {
        var rule = given ?? "0/1, when given"
        var fallback: Bool?
        if let xd = xendDefault, let xld = xlDefault, xd != xld {
            rule = "0/1; absent: xend's default \(xd ? 1 : 0) is written (xl's is \(xld ? 1 : 0))"
            fallback = xd
        }
        let absent = fallback
        return .init(key, key, guests, rule, reads: [XendRead(key, .flag, place)]) { c, w in
            if let v = c.flag(key) ?? absent { w.flag(key, v) }
        }
    }

    /// A decimal number, written when `when` says so.
    static func number(
        _ key: String, xl: String? = nil, guests: Guests = .hvm, place: XendRead.Place = .image,
        _ rule: String, when: @escaping @Sendable (Int64) -> Bool = { _ in true }
    ) -> XendTranslation {
        let xlKey = xl ?? key
        return .init(key, xlKey, guests, rule, reads: [XendRead(key, .number, place)]) { c, w in
            if let v = c.number(key), when(v) { w.number(xlKey, v) }
        }
    }

    /// A string, written when not empty.
    static func text(
        _ key: String, label: String? = nil, guests: Guests = .hvm, place: XendRead.Place = .image,
        _ rule: String
    ) -> XendTranslation {
        .init(label ?? key, key, guests, rule, reads: [XendRead(key, .text, place)]) {
            (c, w) throws(XendConfigError) in
            if let v = c.text(key), !v.isEmpty { try w.string(key, v) }
        }
    }

    /// One value or a list of them, written as an xl list when not empty.
    static func list(_ key: String, guests: Guests = .hvm, place: XendRead.Place = .image, _ rule: String)
        -> XendTranslation
    {
        .init(key, key, guests, rule, reads: [XendRead(key, .list, place)]) { (c, w) throws(XendConfigError) in
            if let v = c.list(key), !v.isEmpty { try w.list(key, v) }
        }
    }

    /// A number xend took that xl spells as a word; another number is
    /// noted with `unknown`'s reason.
    static func choice(
        _ key: String, guests: Guests = .hvm, place: XendRead.Place = .image, _ names: [Int64: String],
        _ rule: String, unknown: @escaping @Sendable (Int64) -> String
    ) -> XendTranslation {
        .init(key, key, guests, rule, reads: [XendRead(key, .number, place)]) { (c, w) throws(XendConfigError) in
            guard let v = c.number(key) else { return }
            if let name = names[v] {
                try w.string(key, name)
            } else {
                w.note(key, "\(v)", unknown(v))
            }
        }
    }
}
