/// The `--progress` line on standard error, redrawn at most ten times a second.
final class ProgressMeter {
    private let total: UInt64?
    private let started = ContinuousClock.now
    private var lastDrawn: ContinuousClock.Instant?
    private var pages: UInt64 = 0

    init(total: UInt64?) {
        self.total = total
    }

    func update(bytesRead: UInt64, pages: UInt64) {
        self.pages = pages
        let t = ContinuousClock.now
        if let lastDrawn, t - lastDrawn < .milliseconds(100) { return }
        lastDrawn = t
        draw(bytesRead: bytesRead, at: t, final: false)
    }

    func finish(bytesRead: UInt64) {
        draw(bytesRead: bytesRead, at: ContinuousClock.now, final: true)
    }

    static func size(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = bytes
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(Int(value)) B" : fixed(value, 1) + " " + units[unit]
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "?" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (value * scale).rounded()
        guard abs(scaled) < 9e15 else { return "?" }
        let whole = Int64(scaled)
        let intPart = whole / Int64(scale)
        let frac = abs(whole % Int64(scale))
        if digits == 0 { return String(intPart) }
        var fracText = String(frac)
        while fracText.count < digits { fracText = "0" + fracText }
        return "\(intPart).\(fracText)"
    }

    private func draw(bytesRead: UInt64, at t: ContinuousClock.Instant, final: Bool) {
        let elapsed = max((t - started).seconds, 1e-6)
        let rate = Double(bytesRead) / elapsed
        var line = "\r\(ProgressMeter.size(Double(bytesRead))) read, \(pages) pages, \(ProgressMeter.size(rate))/s"
        if let total, total > 0 {
            let fraction = min(1, Double(bytesRead) / Double(total))
            line += ", " + ProgressMeter.fixed(fraction * 100, 1) + "%"
            if rate > 0 && !final {
                let eta = Double(total - min(total, bytesRead)) / rate
                line += ", ETA " + ProgressMeter.fixed(eta, 0) + "s"
            }
        }
        line += "\u{1B}[K"
        if final { line += "\n" }
        Console.write(line, to: .standardError)
    }
}
