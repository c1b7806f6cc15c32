import Foundation
import Testing
import SystemPackage
import XenMigration

#if canImport(Glibc)
import Glibc
#endif

// Hostile and broken input, failing I/O: the tools must never crash, hang,
// use unbounded memory or leave corrupt output behind. In-process library
// runs prove the parsing rules fast; the built tools prove exit statuses,
// messages, signals and memory.

// MARK: - Helpers

/// Conversion options that a conformance vector's `args` describe.
private func conversionOptions(_ args: [String]) -> ConversionOptions {
    func value(_ names: String...) -> String? {
        for (i, a) in args.enumerated() where names.contains(a) && i + 1 < args.count { return args[i + 1] }
        return nil
    }
    return ConversionOptions(
        width: value("-w", "--width") == "32" ? .bits32 : .bits64,
        guest: value("-g", "--guest", "--guest-type") == "pv" ? .pv : .hvm,
        format: value("-f", "--format") == "libxl" ? .libxl : .libxc,
        streamVersion: value("--stream-version") == "3" ? 3 : 2,
        xlHeader: args.contains("-x") || args.contains("--xl"),
        skipQemu: args.contains("--skip-qemu"))
}

private func verifyFormat(_ args: [String]) -> VerifyFormat {
    if let i = args.firstIndex(where: { $0 == "-f" || $0 == "--format" }), i + 1 < args.count,
       let format = VerifyFormat(rawValue: args[i + 1]) {
        return format
    }
    return .libxc
}

/// The first `count` bytes of an input, without copying them: a sweep cuts
/// one input thousands of times.
private final class PrefixSource: ByteSource {
    private let bytes: [UInt8]
    private let count: Int
    private var position = 0

    init(_ bytes: [UInt8], count: Int) {
        self.bytes = bytes
        self.count = count
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, count - position)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[position..<(position + n)]))
        }
        position += n
        return n
    }
}

/// The outcome of one in-process run: the error, if any, and how far it read.
private struct Outcome {
    var error: StreamError?
    var bytesRead: UInt64
}

/// Converts `bytes` in memory, output discarded. Small buffers keep a sweep
/// of thousands of runs cheap, and exercise the reader's refills.
private func convert(_ bytes: [UInt8], _ options: ConversionOptions, chunkLimit: Int = .max,
                     readerCapacity: Int = 64 * 1024, cut: Int? = nil,
                     marks: ((UInt64) -> Void)? = nil) -> Outcome {
    let source: any ByteSource = cut.map { PrefixSource(bytes, count: $0) } ?? MemorySource(bytes, chunkLimit: chunkLimit)
    let reader = StreamReader(source, capacity: readerCapacity)
    let converter = LegacyConverter(options: options, reader: reader,
                                    writer: StreamWriter(NullSink(), capacity: 64 * 1024),
                                    verbose: marks.map { mark in { _ in mark(reader.offset) } })
    if let marks { converter.onProgress = { offset, _ in marks(offset) } }
    do {
        try converter.run()
        return Outcome(error: nil, bytesRead: reader.offset)
    } catch let error as StreamError {
        return Outcome(error: error, bytesRead: reader.offset)
    } catch {
        Issue.record("not a StreamError: \(error)")
        return Outcome(error: nil, bytesRead: reader.offset)
    }
}

private func verify(_ bytes: [UInt8], _ format: VerifyFormat, chunkLimit: Int = .max,
                    readerCapacity: Int = 64 * 1024, cut: Int? = nil) -> Outcome {
    let source: any ByteSource = cut.map { PrefixSource(bytes, count: $0) } ?? MemorySource(bytes, chunkLimit: chunkLimit)
    let reader = StreamReader(source, capacity: readerCapacity)
    do {
        try StreamVerifier.verify(reader: reader, format: format)
        return Outcome(error: nil, bytesRead: reader.offset)
    } catch let error as StreamError {
        return Outcome(error: error, bytesRead: reader.offset)
    } catch {
        Issue.record("not a StreamError: \(error)")
        return Outcome(error: nil, bytesRead: reader.offset)
    }
}

/// Input offsets where a v2/v3 stream's records start (libxc, libxl, or
/// xl then either), found by walking the record headers.
private func recordBoundaries(_ s: [UInt8], _ format: VerifyFormat) -> [Int] {
    func u32(_ at: Int) -> Int? {
        guard at + 4 <= s.count else { return nil }
        return (0..<4).reduce(0) { $0 | Int(s[at + $1]) << (8 * $1) }
    }
    var marks: [Int] = [0]
    var at = 0
    var format = format
    if format == .xl {
        guard let mandatory = u32(36), let optional = u32(44) else { return marks }
        at = 48 + optional
        marks.append(at)
        format = mandatory & 2 != 0 ? .libxl : .libxc
    }
    func records(libxc: Bool) {
        at += libxc ? 40 : 16
        marks.append(at)
        while let type = u32(at), let length = u32(at + 4) {
            at += 8 + (length + 7) & ~7
            marks.append(at)
            if !libxc && type == 1 { records(libxc: true) }
            if type == 0 { return }
        }
    }
    records(libxc: format == .libxc)
    return marks
}

/// Offsets at which to cut an input of `length` bytes: every one of them
/// (inputs up to 64 KiB), or the first and last 4 KiB and 32 bytes around
/// each boundary (chunk, page batch or record) in between. The full sweep
/// runs on the thinned copies of the vectors in fuzz/corpus, which keep
/// every structure but most page data: a cut costs what it reads.
private func cutOffsets(length: Int, boundaries: [Int], everyOffset: Bool) -> [Int] {
    if everyOffset && length <= 64 * 1024 { return Array(0..<length) }
    var offsets = Set(0..<min(4096, length))
    offsets.formUnion(max(0, length - 4096)..<length)
    for b in boundaries {
        offsets.formUnion(max(0, b - 16)..<min(length, b + 17))
    }
    return offsets.sorted()
}

/// A vector's input as thinned into the fuzz seed corpus (its first byte,
/// the fuzz mode, dropped).
private func thinnedVector(_ kind: String, _ name: String) throws -> [UInt8] {
    let dir = Paths.packageRoot.appendingPathComponent("fuzz/corpus/\(kind)")
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    let file = try #require(files.first { $0.hasPrefix(name + "-") && $0.count == name.count + 9 },
                            "no seed for \(name) in \(dir.path)")
    return Array(try Data(contentsOf: dir.appendingPathComponent(file)).dropFirst())
}

private func loadVector(_ kind: String, _ name: String) throws -> (input: [UInt8], args: [String]) {
    let vector = Vector(kind: kind, name: name)
    let input = try #require(vector.bytes(kind == "convert" ? "input.legacy" : "stream"))
    return (input, vector.args)
}

/// The first line of a tool's standard error.
private func firstLine(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
}

// MARK: - Item 2: truncation

@Suite("Truncated input")
struct TruncationTests {
    /// Vectors of every kind: HVM and PV, 32- and 64-bit, libxc and libxl,
    /// v3, xl headers, toolstack data, a debug stream, xsave with 70 vcpus.
    static let convertVectors = ["hvm32-libxc", "hvm64-libxl-toolstack-xl", "hvm64-skip-qemu", "hvm64-debug-stream",
                                 "pv32-libxc-v3", "pv64-libxl-toolstack-xl", "pv32-xsave-vcpus70"]
    static let verifyVectors = ["hvm32-libxc-v3", "hvm64-libxl", "pv32-libxl-toolstack-xl", "pv64-libxc-toolstack-xl",
                                "pv32-xsave-vcpus70"]

    @Test("the converter reports truncation at exactly each cut",
          arguments: convertVectors.flatMap { [($0, true), ($0, false)] })
    func converterCuts(_ name: String, thinned: Bool) throws {
        let (original, args) = try loadVector("convert", name)
        let input = thinned ? try thinnedVector("convert", name) : original
        let options = conversionOptions(args)
        var boundaries: [Int] = []
        let full = convert(input, options, marks: { boundaries.append(Int($0)) })
        #expect(full.error == nil)
        let consumed = Int(full.bytesRead)
        var failures = 0
        for cut in cutOffsets(length: consumed, boundaries: boundaries, everyOffset: thinned) {
            let outcome = convert(input, options, cut: cut)
            let error = outcome.error
            if error?.kind != .truncated || error?.offset != UInt64(cut)
                || error?.message.hasPrefix("Stream truncated at input offset \(cut): ") != true {
                failures += 1
                if failures <= 5 { Issue.record("\(name) cut at \(cut): \(error.map { "\($0)" } ?? "converted")") }
            }
        }
        #expect(failures == 0)
    }

    @Test("the verifier reports truncation at exactly each cut",
          arguments: verifyVectors.flatMap { [($0, true), ($0, false)] })
    func verifierCuts(_ name: String, thinned: Bool) throws {
        let (original, args) = try loadVector("verify", name)
        let stream = thinned ? try thinnedVector("verify", name) : original
        let format = verifyFormat(args)
        let full = verify(stream, format)
        #expect(full.error == nil)
        // The verifier stops at END; anything after it is not its business.
        let consumed = Int(full.bytesRead)
        var failures = 0
        for cut in cutOffsets(length: consumed, boundaries: recordBoundaries(stream, format), everyOffset: thinned) {
            let error = verify(stream, format, cut: cut).error
            if error?.kind != .truncated || error?.offset != UInt64(cut)
                || error?.message.hasPrefix("Stream truncated at input offset \(cut): ") != true {
                failures += 1
                if failures <= 5 { Issue.record("\(name) cut at \(cut): \(error.map { "\($0)" } ?? "verified")") }
            }
        }
        #expect(failures == 0)
    }

    @Test("the built tools exit 1 with the truncation offset, leaving no output",
          arguments: ["hvm64-libxl-toolstack-xl", "pv32-xsave-vcpus70", "pv64-libxc-v3"])
    func toolsOnCuts(_ name: String) throws {
        let (input, args) = try loadVector("convert", name)
        let options = conversionOptions(args)
        var boundaries: [Int] = []
        let consumed = Int(convert(input, options, marks: { boundaries.append(Int($0)) }).bytesRead)
        var rng = MutationRNG(seed: UInt64(consumed))
        var cuts: Set<Int> = [0, 1, 4, 7, consumed - 1]
        for _ in 0..<6 { cuts.insert(boundaries[rng.below(boundaries.count)] - rng.below(3)) }
        for _ in 0..<4 { cuts.insert(rng.below(consumed)) }

        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cutPath = dir.appendingPathComponent("cut").path
        let outDir = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        for cut in cuts.sorted() where cut >= 0 {
            try Data(input[0..<cut]).write(to: URL(fileURLWithPath: cutPath))
            let run = try Spawn.run(Paths.converter, ["-i", cutPath, "-o", outDir.appendingPathComponent("o").path] + args)
            #expect(run.signal == nil)
            #expect(run.status == 1, "cut at \(cut): \(run.stderrText)")
            #expect(firstLine(run.stderrText).hasPrefix("Stream Error: Stream truncated at input offset \(cut): "),
                    "cut at \(cut): \(run.stderrText)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: outDir.path).isEmpty)

            // The same bytes through a pipe, as libxl hands them over.
            let piped = try Spawn.run(Paths.converter, ["-i", "-", "-o", "-"] + args.filter { $0 != "-v" },
                                      stdin: Array(input[0..<cut]))
            #expect(piped.status == 1 && piped.signal == nil)
            #expect(firstLine(piped.stderrText).hasPrefix("Stream Error: Stream truncated at input offset \(cut): "))
        }
    }

    @Test("verify-stream-v2 exits 1 with the truncation offset", arguments: ["hvm64-libxl", "pv32-libxl-toolstack-xl"])
    func verifierToolOnCuts(_ name: String) throws {
        let (stream, args) = try loadVector("verify", name)
        let format = verifyFormat(args)
        let consumed = Int(verify(stream, format).bytesRead)
        let boundaries = recordBoundaries(stream, format).filter { $0 < consumed }
        var rng = MutationRNG(seed: UInt64(consumed))
        var cuts: Set<Int> = [0, 1, 23, consumed - 1]
        for _ in 0..<6 { cuts.insert(boundaries[rng.below(boundaries.count)] + rng.below(9)) }
        for cut in cuts.sorted() where cut < consumed {
            let run = try Spawn.run(Paths.verifier, args.filter { $0 != "-v" }, stdin: Array(stream[0..<cut]))
            #expect(run.signal == nil)
            #expect(run.status == 1, "cut at \(cut): \(run.stderrText)")
            #expect(firstLine(run.stderrText).hasPrefix("Stream Error: Stream truncated at input offset \(cut): "),
                    "cut at \(cut): \(run.stderrText)")
        }
    }
}

// MARK: - Deterministic randomness

/// SplitMix64: a small, fixed-seed generator, so every run tests the same cases.
private struct MutationRNG {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
}

// MARK: - Running the tools, measured

/// A tool started with chosen descriptors, then timed and, when asked,
/// measured.
///
/// Peak memory comes from GNU time (`/usr/bin/time -f %M`), which forks the
/// tool from its own small process. A child spawned straight from the test
/// process cannot be measured: posix_spawn shares the test process's memory
/// until exec, and the kernel carries that memory's high-water mark into the
/// child's ru_maxrss. Without /usr/bin/time the memory checks are skipped.
private final class Child {
    struct Exit {
        /// nil when it died by a signal.
        var status: Int32?
        var signal: Int32?
        /// Peak resident set size, when measured.
        var maxRSSKiB: Int?
        var seconds: Double
    }

    static let timeTool = "/usr/bin/time"
    static let canMeasure = FileManager.default.isExecutableFile(atPath: timeTool)

    let pid: pid_t
    let started = Date()
    private var reaped = false
    private let statsPath: String?

    /// `descriptors` maps a descriptor of ours to the number the child sees.
    /// Nothing else is inherited: every descriptor the tests open is
    /// close-on-exec, and Spawn.lock keeps pipes from leaking across spawns.
    /// Signals sent to a measured child reach GNU time, not the tool.
    init(_ path: String, _ arguments: [String], descriptors: [(Int32, Int32)], measure: Bool = false) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        statsPath = measure && Child.canMeasure
            ? FileManager.default.temporaryDirectory.appendingPathComponent("rss-\(UUID().uuidString)").path : nil
        let command = statsPath.map { [Child.timeTool, "-f", "%M", "-o", $0, path] + arguments } ?? [path] + arguments
        Spawn.lock.lock()
        defer { Spawn.lock.unlock() }
        // Copies above any target number, so one mapping cannot overwrite
        // another's source, and dup2 always clears close-on-exec.
        let copies = descriptors.map { (fcntl($0.0, F_DUPFD_CLOEXEC, 100), $0.1) }
        defer { copies.forEach { close($0.0) } }
        for (source, target) in copies { posix_spawn_file_actions_adddup2(&actions, source, target) }
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Signals as a user's shell leaves them: all at their defaults and
        // none blocked, whatever the test process ignores or blocks (it
        // ignores SIGPIPE); else "not killed by SIGPIPE" would prove nothing.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var child: pid_t = 0
        let rc = posix_spawn(&child, command[0], &actions, &attributes, argv, environ)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        pid = child
    }

    /// Waits up to `timeout` seconds; nil if it is still running then.
    func wait(timeout: Double) -> Exit? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { return nil }
            if Date() > deadline { return nil }
            usleep(1000)
        }
        reaped = true
        let seconds = Date().timeIntervalSince(started)
        let signaled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
        var exit = Exit(status: signaled ? nil : (status >> 8) & 0xff, signal: signaled ? status & 0x7f : nil,
                        maxRSSKiB: nil, seconds: seconds)
        if let statsPath, let stats = try? String(contentsOfFile: statsPath, encoding: .utf8) {
            try? FileManager.default.removeItem(atPath: statsPath)
            // "Command terminated by signal N" comes first when it did.
            let lines = stats.split(separator: "\n")
            if let line = lines.first(where: { $0.hasPrefix("Command terminated by signal ") }) {
                exit.signal = Int32(line.split(separator: " ").last ?? "")
                exit.status = nil
            }
            exit.maxRSSKiB = lines.last.flatMap { Int($0) }
        }
        return exit
    }

    func send(_ signal: Int32) { _ = kill(pid, signal) }

    deinit {
        guard !reaped else { return }
        _ = kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        if let statsPath { try? FileManager.default.removeItem(atPath: statsPath) }
    }
}

private func openFile(_ path: String, _ flags: Int32) throws -> Int32 {
    let fd = open(path, flags | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    return fd
}

/// Runs a tool with standard input and output on files, standard error
/// captured. A run past `timeout` is killed and recorded as an issue.
private func runTool(_ path: String, _ arguments: [String], stdin: String = "/dev/null",
                     stdout: String = "/dev/null", timeout: Double = 20) throws -> (exit: Child.Exit?, stderr: String) {
    let input = try openFile(stdin, O_RDONLY)
    defer { close(input) }
    let output = try openFile(stdout, O_WRONLY | O_CREAT | O_TRUNC)
    defer { close(output) }
    let errPipe = Spawn.pipePair()
    let child = try Child(path, arguments, descriptors: [(input, 0), (output, 1), (errPipe[1], 2)], measure: true)
    close(errPipe[1])
    let drain = Drain(errPipe[0])
    let exit = child.wait(timeout: timeout)
    if exit == nil {
        Issue.record("\(path) \(arguments) still running after \(timeout)s")
        child.send(SIGKILL)
        _ = child.wait(timeout: 10)
    }
    return (exit, String(decoding: drain.finish(), as: UTF8.self))
}

/// The tools' memory bound.
private let memoryLimitKiB = 64 * 1024

/// True when a measured run stayed under the bound (or could not be measured).
private func withinMemoryLimit(_ exit: Child.Exit) -> Bool {
    (exit.maxRSSKiB ?? 0) < memoryLimitKiB
}

// MARK: - Building hostile images

/// Little-endian bytes, with runs of zeros that a file can hold as holes.
private struct Image {
    enum Part {
        case bytes([UInt8])
        case zeros(Int)
    }

    var parts: [Part] = []
    var count: Int {
        parts.reduce(0) { total, part in
            switch part {
            case .bytes(let b): total + b.count
            case .zeros(let n): total + n
            }
        }
    }

    mutating func raw(_ b: [UInt8]) {
        if case .bytes(let last)? = parts.last {
            parts[parts.count - 1] = .bytes(last + b)
        } else {
            parts.append(.bytes(b))
        }
    }

    mutating func text(_ s: String) { raw(Array(s.utf8)) }
    mutating func u32(_ v: UInt32) { raw(withUnsafeBytes(of: v.littleEndian, Array.init)) }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func u64(_ v: UInt64) { raw(withUnsafeBytes(of: v.littleEndian, Array.init)) }
    mutating func ulong(_ v: UInt64, _ width: ToolstackWidth) {
        width == .bits32 ? u32(UInt32(truncatingIfNeeded: v)) : u64(v)
    }
    /// Small runs are written out; large ones stay holes in a file.
    mutating func zeros(_ n: Int) { n < 65536 ? raw([UInt8](repeating: 0, count: n)) : parts.append(.zeros(n)) }

    /// All bytes in memory (for images without large holes).
    var bytes: [UInt8] {
        parts.flatMap { part -> [UInt8] in
            switch part {
            case .bytes(let b): b
            case .zeros(let n): [UInt8](repeating: 0, count: n)
            }
        }
    }

    /// Writes a sparse file: large zero runs cost no disk and read fast.
    func write(to path: String) throws {
        let fd = try openFile(path, O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(fd) }
        for part in parts {
            switch part {
            case .bytes(let b):
                let n = b.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                guard n == b.count else { throw POSIXError(.EIO) }
            case .zeros(let n):
                lseek(fd, off_t(n), SEEK_CUR)
            }
        }
        ftruncate(fd, off_t(count))
    }
}

/// Legacy images built field by field, each valid unless a parameter says
/// otherwise. Declared sizes and actual bytes are separate on purpose.
private enum Build {
    static let xlMagic = "Xen saved domain, xl format\n \u{0} \r"

    static func xlHeader(_ image: inout Image, optionalLength: UInt32, optionalBytes: Int) {
        image.text(xlMagic)
        image.u32(0x0102_0304)
        image.u32(0)
        image.u32(0)
        image.u32(optionalLength)
        image.zeros(optionalBytes)
    }

    /// An HVM image: p2m size, body chunks, end, magic pfns, context, and a
    /// DeviceModelRecord0002 record (or what `deviceModel` writes).
    static func hvm(width: ToolstackWidth = .bits64, xl: (UInt32, Int)? = nil, p2m: UInt64 = 0x100,
                    body: (inout Image) -> Void = { _ in },
                    contextLength: UInt32 = 16, contextBytes: Int? = nil,
                    deviceModel: ((inout Image) -> Void)? = nil) -> Image {
        var image = Image()
        if let (length, bytes) = xl { xlHeader(&image, optionalLength: length, optionalBytes: bytes) }
        image.ulong(p2m, width)
        body(&image)
        image.i32(0)
        image.u64(0xfeff0)
        image.u64(0xfeff1)
        image.u64(0xfeff2)
        image.u32(contextLength)
        image.zeros(contextBytes ?? Int(contextLength))
        if let deviceModel {
            deviceModel(&image)
        } else {
            deviceModel0002(&image, length: 8, bytes: 8)
        }
        return image
    }

    static func deviceModel0002(_ image: inout Image, length: UInt32, bytes: Int) {
        image.text("DeviceModelRecord0002")
        image.u32(length)
        image.zeros(bytes)
    }

    /// A PV image for a 64-bit guest with one online vcpu.
    static func pv(width: ToolstackWidth = .bits64, p2m: UInt64 = 1, p2mFrames: Int? = nil,
                   extTotal: UInt32? = nil, blocks: [(id: String, size: UInt32, bytes: Int)]? = nil,
                   body: (inout Image) -> Void = { _ in },
                   unmapped: UInt32 = 0, tail: ((inout Image) -> Void)? = nil) -> Image {
        var image = Image()
        image.ulong(p2m, width)
        image.ulong(.max, width)
        let blocks = blocks ?? [("vcpu", 0x1430, 0x1430)]
        image.u32(extTotal ?? blocks.reduce(0) { $0 + 8 + UInt32(truncatingIfNeeded: $1.bytes) })
        for block in blocks {
            image.text(block.id)
            image.u32(block.size)
            if block.id == "xcnt" && block.bytes >= 4 {
                image.u32(0x340)  // xsave_len
                image.zeros(block.bytes - 4)
            } else {
                image.zeros(block.bytes)
            }
        }
        let frames = p2mFrames ?? Int((p2m &- 1) / 512 + 1)
        for _ in 0..<min(frames, 4096) { image.ulong(0x1000, width) }
        if frames > 4096 { image.zeros((frames - 4096) * width.ulongSize) }
        // vcpu_info: vcpu 0 online.
        image.i32(-2)
        image.i32(0)
        image.u64(1)
        body(&image)
        image.i32(0)
        image.u32(unmapped)
        if let tail {
            tail(&image)
        } else {
            image.zeros(0x1430)  // vcpu 0 basic context
            image.zeros(4096)  // shared info
        }
        return image
    }
}

/// One hostile input and what must come of it.
struct HostileCase: CustomTestStringConvertible, Sendable {
    var name: String
    var arguments: [String]
    /// Expected exit status of the tool (1 for every error but unsupported).
    var status: Int32
    /// Expected error kind in process (nil: converts/verifies).
    var kind: StreamError.Kind?
    var message: String = ""
    var testDescription: String { name }

    /// What the error message must say: a truncated input ends where the
    /// image ends.
    func message(inputLength: Int) -> String {
        kind == .truncated ? "Stream truncated at input offset \(inputLength): " : message
    }
}

private let hostileImages: [String: Image] = {
    var images: [String: Image] = [:]
    let big: UInt32 = 0xffff_ffff
    func toolstack(_ size: UInt32) -> (inout Image) -> Void {
        { image in image.i32(-18); image.u32(size); image.zeros(64) }
    }
    images["toolstack 2^32-1, libxc"] = Build.hvm(body: toolstack(big))
    images["toolstack 2^32-1, libxl"] = Build.hvm(body: toolstack(big))
    images["toolstack 1 MiB + 1, libxl"] = Build.hvm(body: toolstack((1 << 20) + 1))
    images["HVM context 2^32-1"] = Build.hvm(contextLength: big, contextBytes: 100)
    images["device model 2^32-1, libxc"] = Build.hvm(deviceModel: { Build.deviceModel0002(&$0, length: big, bytes: 100) })
    images["device model 2^32-1, libxl"] = Build.hvm(deviceModel: { Build.deviceModel0002(&$0, length: big, bytes: 100) })
    images["device model 2^32-9, libxl"] = Build.hvm(deviceModel: { Build.deviceModel0002(&$0, length: big - 8, bytes: 100) })
    images["compressed data 2^32-1"] = Build.hvm(body: { $0.i32(-12); $0.u32(big); $0.zeros(64) })
    images["xl optional data 2^32-1"] = Build.hvm(xl: (big, 100))
    images["extended-info total 2^32-1"] = Build.pv(extTotal: big, tail: { _ in })
    images["extended-info block 2^32-1"] = Build.pv(blocks: [("vcpu", big, 0x1430)], tail: { _ in })
    images["xcnt block 2^32-1"] = Build.pv(blocks: [("vcpu", 0x1430, 0x1430), ("xcnt", big, 64)], tail: { _ in })
    images["p2m size 2^64-1, PV"] = Build.pv(p2m: .max, p2mFrames: 1)
    images["p2m size 2^64-1, HVM"] = Build.hvm(p2m: .max)
    images["p2m size 2^32+1, PV"] = Build.pv(p2m: (1 << 32) + 1, p2mFrames: 1)
    images["p2m size 2^32, PV, frames missing"] = Build.pv(p2m: 1 << 32, p2mFrames: 100)
    images["p2m size 2^32-1, 32-bit PV, frames missing"] = Build.pv(width: .bits32, p2m: 0xffff_ffff, p2mFrames: 100)
    images["unmapped pfn count 2^32-1"] = Build.pv(unmapped: big, tail: { $0.zeros(100) })
    images["xsave size 2^64-1"] = Build.pv(
        blocks: [("vcpu", 0x1430, 0x1430), ("xcnt", 4, 4)],
        tail: { $0.zeros(0x1430); $0.u64(7); $0.u64(.max); $0.zeros(100) })
    for (label, id) in [("-1", Int32(-1)), ("-2^31", .min), ("4096", 4096), ("2^31-1", .max)] {
        images["vcpu max_id \(label)"] = Build.hvm(body: { $0.i32(-2); $0.i32(id); $0.zeros(64) })
    }
    for (label, marker) in [("1025", Int32(1025)), ("2^31-1", .max), ("-2^31", .min), ("-21", -21)] {
        images["batch marker \(label)"] = Build.hvm(body: { $0.i32(marker); $0.zeros(64) })
    }
    // One HVM-param chunk more than the 2^18 collected in memory.
    images["HVM params past the limit"] = Build.hvm(body: { image in
        var chunk = Image()  // hvm_viridian: pad, value
        chunk.i32(-11)
        chunk.u32(0)
        chunk.u64(7)
        image.raw(Array([[UInt8]](repeating: chunk.bytes, count: (1 << 18) + 1).joined()))
    })
    // 20 vcpu_info chunks listing 4096 vcpus each: past the 65536 limit.
    images["vcpu_info repeated"] = Build.hvm(body: { image in
        for _ in 0..<20 {
            image.i32(-2)
            image.i32(4095)
            for _ in 0..<64 { image.u64(.max) }
        }
    })
    return images
}()

private let hostileCases: [HostileCase] = [
    HostileCase(name: "toolstack 2^32-1, libxc", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .truncated),
    HostileCase(name: "toolstack 2^32-1, libxl", arguments: ["-w", "64", "-g", "hvm", "-f", "libxl"], status: 1,
                kind: .malformed, message: "exceeds the 1048576-byte limit"),
    HostileCase(name: "toolstack 1 MiB + 1, libxl", arguments: ["-w", "64", "-g", "hvm", "-f", "libxl"], status: 1,
                kind: .malformed, message: "exceeds the 1048576-byte limit"),
    HostileCase(name: "HVM context 2^32-1", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .truncated),
    HostileCase(name: "device model 2^32-1, libxc", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .truncated),
    HostileCase(name: "device model 2^32-1, libxl", arguments: ["-w", "64", "-g", "hvm", "-f", "libxl"], status: 1,
                kind: .malformed, message: "does not fit in one record"),
    HostileCase(name: "device model 2^32-9, libxl", arguments: ["-w", "64", "-g", "hvm", "-f", "libxl"], status: 1,
                kind: .truncated),
    HostileCase(name: "compressed data 2^32-1", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .truncated),
    HostileCase(name: "xl optional data 2^32-1", arguments: ["-w", "64", "-g", "hvm", "-x"], status: 1, kind: .truncated),
    HostileCase(name: "extended-info total 2^32-1", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .malformed,
                message: "Unrecognised extended block"),
    HostileCase(name: "extended-info block 2^32-1", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .truncated),
    HostileCase(name: "xcnt block 2^32-1", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .truncated),
    HostileCase(name: "p2m size 2^64-1, PV", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .malformed,
                message: "out of range"),
    HostileCase(name: "p2m size 2^64-1, HVM", arguments: ["-w", "64", "-g", "hvm"], status: 0, kind: nil),
    HostileCase(name: "p2m size 2^32+1, PV", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .malformed,
                message: "out of range"),
    HostileCase(name: "p2m size 2^32, PV, frames missing", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .truncated),
    HostileCase(name: "p2m size 2^32-1, 32-bit PV, frames missing", arguments: ["-w", "32", "-g", "pv"], status: 1,
                kind: .truncated),
    HostileCase(name: "unmapped pfn count 2^32-1", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .truncated),
    HostileCase(name: "xsave size 2^64-1", arguments: ["-w", "64", "-g", "pv"], status: 1, kind: .malformed,
                message: "does not match xcnt length"),
    HostileCase(name: "vcpu max_id -1", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
                message: "Vcpu max_id out of range"),
    HostileCase(name: "vcpu max_id -2^31", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
                message: "Vcpu max_id out of range"),
    HostileCase(name: "vcpu max_id 4096", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
                message: "Vcpu max_id out of range"),
    HostileCase(name: "vcpu max_id 2^31-1", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
                message: "Vcpu max_id out of range"),
    HostileCase(name: "batch marker 1025", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
                message: "exceeded MAX_BATCH"),
    HostileCase(name: "batch marker 2^31-1", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
                message: "exceeded MAX_BATCH"),
    HostileCase(name: "batch marker -2^31", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
                message: "Unrecognised chunk"),
    HostileCase(name: "batch marker -21", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
                message: "Unrecognised chunk"),
    HostileCase(name: "vcpu_info repeated", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
                message: "online vcpus"),
    HostileCase(name: "HVM params past the limit", arguments: ["-w", "64", "-g", "hvm"], status: 1, kind: .malformed,
                message: "More than 262144 HVM params"),
]

/// v2/v3 streams with absurd record lengths and counts.
private let hostileStreams: [(name: String, format: VerifyFormat, bytes: [UInt8])] = {
    func libxcHeader(_ image: inout Image, version: UInt32 = 2) {
        image.raw([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x58, 0x45, 0x4e, 0x46, 0, 0, 0, UInt8(version),
                   0, 0, 0, 0, 0, 0, 0, 0])
        image.u32(2)  // x86 HVM
        image.raw([12, 0, 0, 0])
        image.u32(0)
        image.u32(1)
    }
    var streams: [(String, VerifyFormat, [UInt8])] = []
    for type in UInt32(0)...0x13 {
        for length: UInt32 in [.max, 0x7fff_ffff, 8] {
            var image = Image()
            libxcHeader(&image, version: 3)
            if type != 0x10 {
                image.u32(0x10)  // STATIC_DATA_END first, so v3 rules pass
                image.u32(0)
            }
            image.u32(type)
            image.u32(length)
            image.u32(0xffff_ffff)  // a count or vcpu id
            image.u32(0)
            // Not zeros: those would read as an END record after a short body.
            image.raw([UInt8](repeating: 0xab, count: 32))
            streams.append(("libxc record 0x\(String(type, radix: 16)) length 0x\(String(length, radix: 16))", .libxc,
                            image.bytes))
        }
    }
    for length: UInt32 in [.max, (16 << 20) + 1, 16 << 20] {
        var image = Image()
        image.raw(Array("LibxlFmt".utf8) + [0, 0, 0, 2, 0, 0, 0, 0])
        image.u32(2)  // EMULATOR_XENSTORE_DATA
        image.u32(length)
        image.zeros(64)
        streams.append(("libxl xenstore data length \(length)", .libxl, image.bytes))
    }
    var xl = Image()
    Build.xlHeader(&xl, optionalLength: .max, optionalBytes: 64)
    streams.append(("xl optional data 2^32-1", .xl, xl.bytes))
    return streams
}()

// MARK: - Item 3: hostile sizes

@Suite("Hostile sizes and counts")
struct HostileSizeTests {
    @Test("the converter in process: a clear error or success, never a trap", arguments: hostileCases)
    func inProcess(_ hostile: HostileCase) throws {
        let image = try #require(hostileImages[hostile.name])
        let options = conversionOptions(hostile.arguments)
        let outcome = convert(image.bytes, options)
        #expect(outcome.error?.kind == hostile.kind, "\(outcome.error.map { "\($0)" } ?? "converted")")
        if let error = outcome.error {
            #expect(error.message.contains(hostile.message(inputLength: image.count)), "\(error)")
            #expect(error.exitStatus == hostile.status)
        }
    }

    @Test("convert-legacy-stream: the expected status, one message, under 64 MiB", arguments: hostileCases)
    func tool(_ hostile: HostileCase) throws {
        let image = try #require(hostileImages[hostile.name])
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        try image.write(to: input)
        let (exit, stderr) = try runTool(Paths.converter, ["-i", input, "-o", "/dev/null"] + hostile.arguments)
        let ran = try #require(exit)
        #expect(ran.signal == nil)
        #expect(ran.status == hostile.status, "\(stderr)")
        #expect(withinMemoryLimit(ran), "peak RSS \(ran.maxRSSKiB ?? 0) KiB")
        if hostile.status != 0 {
            #expect(stderr.hasPrefix("Stream Error: ") && stderr.contains(hostile.message(inputLength: image.count)),
                    "\(stderr)")
            #expect(stderr.split(separator: "\n").count == 1, "\(stderr)")
        }
    }

    @Test("the verifier: absurd record lengths and counts are errors, under 64 MiB")
    func verifierRecords() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        for (name, format, bytes) in hostileStreams {
            let outcome = verify(bytes, format)
            #expect(outcome.error != nil, "\(name) verified")
            if outcome.error == nil { continue }
            try Data(bytes).write(to: URL(fileURLWithPath: input))
            let (exit, stderr) = try runTool(Paths.verifier, ["-i", input, "-f", format.rawValue])
            let ran = try #require(exit)
            #expect(ran.signal == nil && ran.status == 1, "\(name): \(stderr)")
            #expect(stderr.hasPrefix("Stream Error: "), "\(name): \(stderr)")
            #expect(withinMemoryLimit(ran), "\(name): peak RSS \(ran.maxRSSKiB ?? 0) KiB")
        }
    }

    @Test("large blobs stream through: 3 x 96 MiB converted and verified through a pipe, each tool under 64 MiB")
    func largeBlobsStream() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        let size = 96 << 20
        let image = Build.hvm(xl: (UInt32(size), size), contextLength: UInt32(size),
                                deviceModel: { Build.deviceModel0002(&$0, length: UInt32(size), bytes: size) })
        try image.write(to: input)

        // convert-legacy-stream ... -o - | verify-stream-v2 -f xl
        let inFD = try openFile(input, O_RDONLY)
        defer { close(inFD) }
        let null = try openFile("/dev/null", O_RDWR)
        defer { close(null) }
        let pipe = Spawn.pipePair()
        let errConvert = Spawn.pipePair()
        let errVerify = Spawn.pipePair()
        let converter = try Child(Paths.converter, ["-i", "-", "-o", "-", "-w", "64", "-g", "hvm", "-f", "libxl", "-x"],
                                  descriptors: [(inFD, 0), (pipe[1], 1), (errConvert[1], 2)], measure: true)
        let verifier = try Child(Paths.verifier, ["-f", "xl"], descriptors: [(pipe[0], 0), (null, 1), (errVerify[1], 2)],
                                 measure: true)
        [pipe[0], pipe[1], errConvert[1], errVerify[1]].forEach { close($0) }
        let convertErrors = Drain(errConvert[0])
        let verifyErrors = Drain(errVerify[0])
        let converted = try #require(converter.wait(timeout: 60))
        let verified = try #require(verifier.wait(timeout: 60))
        let messages = String(decoding: convertErrors.finish() + verifyErrors.finish(), as: UTF8.self)
        #expect(converted.status == 0 && verified.status == 0, "\(messages)")
        #expect(withinMemoryLimit(converted), "converter peak RSS \(converted.maxRSSKiB ?? 0) KiB")
        if Child.canMeasure {
            // The measurement itself works: a running Swift tool is several MiB.
            #expect((converted.maxRSSKiB ?? 0) > 4096)
        }
        #expect(withinMemoryLimit(verified), "verifier peak RSS \(verified.maxRSSKiB ?? 0) KiB")
    }

    @Test("large PV p2m frame list (2^32 pfns, 64 MiB of frames) streams through under 64 MiB")
    func largeP2M() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        try Build.pv(p2m: 1 << 32).write(to: input)
        let (exit, stderr) = try runTool(Paths.converter, ["-i", input, "-o", "/dev/null", "-w", "64", "-g", "pv"],
                                         timeout: 60)
        let ran = try #require(exit)
        #expect(ran.status == 0, "\(stderr)")
        #expect(withinMemoryLimit(ran), "peak RSS \(ran.maxRSSKiB ?? 0) KiB")
    }

    @Test("an xend-era device model record running to end of input streams through a spool under 64 MiB")
    func spooledDeviceModel() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        let image = Build.hvm(deviceModel: { $0.text("QemuDeviceModelRecord"); $0.zeros(80 << 20) })
        try image.write(to: input)
        let (exit, stderr) = try runTool(Paths.converter, ["-i", input, "-o", "/dev/null", "-w", "64", "-g", "hvm",
                                                           "-f", "libxl"], timeout: 60)
        let ran = try #require(exit)
        #expect(ran.status == 0, "\(stderr)")
        #expect(withinMemoryLimit(ran), "peak RSS \(ran.maxRSSKiB ?? 0) KiB")
    }
}

// MARK: - Item 4: output faults

@Suite("Output faults")
struct OutputFaultTests {
    static let vector = "pv32-xsave-vcpus70"  // the largest output: 370 KB

    @Test("writing to /dev/full exits 1 with 'No space left on device'",
          arguments: ["path", "stdout", "descriptor"])
    func deviceFull(_ how: String) throws {
        let (input, args) = try loadVector("convert", Self.vector)
        _ = input
        let path = Vector(kind: "convert", name: Self.vector).file("input.legacy").path
        let full = try openFile("/dev/full", O_WRONLY)
        defer { close(full) }
        let errPipe = Spawn.pipePair()
        var descriptors: [(Int32, Int32)] = [(errPipe[1], 2)]
        let out: [String]
        switch how {
        case "path": out = ["-o", "/dev/full"]
        case "stdout": out = ["-o", "-"]; descriptors.append((full, 1))
        default: out = ["--out", "5"]; descriptors.append((full, 5))
        }
        let child = try Child(Paths.converter, ["-i", path] + out + args.filter { $0 != "-v" },
                              descriptors: descriptors)
        close(errPipe[1])
        let stderr = Drain(errPipe[0])
        let exit = try #require(child.wait(timeout: 20))
        let text = String(decoding: stderr.finish(), as: UTF8.self)
        #expect(exit.signal == nil)
        #expect(exit.status == 1)
        #expect(text.hasPrefix("Stream Error: ") && text.contains("No space left on device"), "\(text)")
    }

    @Test("a reader that closes the pipe early: exit 1, not death by SIGPIPE", arguments: [0, 1000])
    func earlyClose(readFirst: Int) throws {
        let path = Vector(kind: "convert", name: Self.vector).file("input.legacy").path
        let args = try loadVector("convert", Self.vector).args.filter { $0 != "-v" }
        let outPipe = Spawn.pipePair()
        let errPipe = Spawn.pipePair()
        if readFirst == 0 { close(outPipe[0]) }
        let child = try Child(Paths.converter, ["-i", path, "-o", "-"] + args,
                              descriptors: [(outPipe[1], 1), (errPipe[1], 2)])
        close(outPipe[1])
        close(errPipe[1])
        let stderr = Drain(errPipe[0])
        if readFirst > 0 {
            // Take the first bytes, then hang up, as a failed restore does.
            var buffer = [UInt8](repeating: 0, count: readFirst)
            var got = 0
            while got < readFirst {
                let n = buffer.withUnsafeMutableBytes { read(outPipe[0], $0.baseAddress! + got, readFirst - got) }
                if n <= 0 { break }
                got += n
            }
            #expect(got == readFirst)
            close(outPipe[0])
        }
        let exit = try #require(child.wait(timeout: 20))
        let text = String(decoding: stderr.finish(), as: UTF8.self)
        #expect(exit.signal == nil, "killed by signal \(exit.signal ?? 0)")
        #expect(exit.status == 1)
        #expect(text.hasPrefix("Stream Error: ") && text.contains("Broken pipe"), "\(text)")
    }

    @Test("verify-stream-v2 -v with its standard output closed is not killed by SIGPIPE")
    func verifierClosedStdout() throws {
        let path = Vector(kind: "verify", name: "pv32-xsave-vcpus70").file("stream").path
        let outPipe = Spawn.pipePair()
        close(outPipe[0])
        let child = try Child(Paths.verifier, ["-v", "-i", path], descriptors: [(outPipe[1], 1)])
        close(outPipe[1])
        let exit = try #require(child.wait(timeout: 20))
        #expect(exit.signal == nil, "killed by signal \(exit.signal ?? 0)")
        #expect(exit.status == 0)
    }

    @Test("SIGTERM while blocked writing to a pipe nobody reads (libxl's --in/--out descriptors): gone within a second",
          arguments: ["write", "sendfile"])
    func sigtermBlockedOnOutput(_ how: String) throws {
        var path = Vector(kind: "convert", name: Self.vector).file("input.legacy").path
        var args = try loadVector("convert", Self.vector).args.filter { $0 != "-v" }
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        if how == "sendfile" {
            // A 64 MiB HVM context: moved file to pipe inside the kernel.
            path = dir.appendingPathComponent("in").path
            try Build.hvm(contextLength: 64 << 20).write(to: path)
            args = ["-w", "64", "-g", "hvm", "-f", "libxl"]
        }
        let input = try openFile(path, O_RDONLY)
        defer { close(input) }
        let outPipe = Spawn.pipePair()
        defer { close(outPipe[0]) }
        let child = try Child(Paths.converter, ["--in", "4", "--out", "5"] + args,
                              descriptors: [(input, 4), (outPipe[1], 5)])
        close(outPipe[1])
        // The pipe holds 64 KiB of the 370 KB output: wait until it is full.
        var queued: Int32 = 0
        let deadline = Date().addingTimeInterval(10)
        repeat {
            usleep(10_000)
            _ = ioctl(outPipe[0], UInt(FIONREAD), &queued)
        } while queued < 65536 && Date() < deadline
        #expect(queued >= 65536)
        usleep(100_000)
        let sent = Date()
        child.send(SIGTERM)
        let exit = try #require(child.wait(timeout: 1))
        #expect(Date().timeIntervalSince(sent) < 1)
        #expect(exit.status != 0)
    }

    @Test("verify-stream-v2 waiting for input stops at SIGTERM within a second")
    func sigtermVerifier() throws {
        let inPipe = Spawn.pipePair()
        let child = try Child(Paths.verifier, ["-f", "libxl"], descriptors: [(inPipe[0], 0)])
        close(inPipe[0])
        defer { close(inPipe[1]) }
        _ = write(inPipe[1], "LibxlFmt", 8)
        usleep(200_000)
        child.send(SIGTERM)
        let exit = try #require(child.wait(timeout: 1))
        #expect(exit.status != 0)
    }

    @Test("SIGTERM while waiting for input, writing a file: gone within a second, nothing left behind")
    func sigtermFileOutput() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, args) = try loadVector("convert", "hvm64-libxl")
        let inPipe = Spawn.pipePair()
        let out = dir.appendingPathComponent("restore.img").path
        let child = try Child(Paths.converter, ["-i", "-", "-o", out] + args.filter { $0 != "-v" },
                              descriptors: [(inPipe[0], 0)])
        close(inPipe[0])
        defer { close(inPipe[1]) }
        input.withUnsafeBytes { _ = write(inPipe[1], $0.baseAddress, 40000) }
        // The output's temporary file appears once the conversion is under way.
        let deadline = Date().addingTimeInterval(10)
        while (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.isEmpty != false && Date() < deadline {
            usleep(10_000)
        }
        usleep(200_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).count == 1)
        child.send(SIGTERM)
        let exit = try #require(child.wait(timeout: 1))
        #expect(exit.status != 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}

// MARK: - Item 5: input faults

/// Blocked reads and writes interrupted by a signal whose handler does not
/// ask for restarts: they fail with EINTR, which the I/O layer must retry.
private func interruptingHandlerInstalled() -> Bool {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in }
    action.sa_flags = 0  // no SA_RESTART
    sigemptyset(&action.sa_mask)
    return sigaction(SIGUSR2, &action, nil) == 0
}

@Suite("Input faults")
struct InputFaultTests {
    @Test("EINTR on every blocked read and write is retried: the output is exact")
    func interruptedIO() throws {
        #expect(interruptingHandlerInstalled())
        let vector = Vector(kind: "convert", name: "hvm64-libxl-toolstack-xl")
        let input = try #require(vector.bytes("input.legacy"))
        let expected = try #require(vector.bytes("expected.out"))
        let inPipe = Spawn.pipePair()
        let outPipe = Spawn.pipePair()

        // The converter's thread, which the signals target.
        let ready = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var thread = pthread_self()
        nonisolated(unsafe) var result: Result<ConversionReport, Error>?
        nonisolated(unsafe) var sawEINTR = false
        Thread {
            thread = pthread_self()
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGUSR2)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            ready.signal()
            // First prove the signal does interrupt a blocked read here; a
            // byte arrives after two seconds in case it does not.
            var probe: [Int32] = [-1, -1]
            _ = pipe(&probe)
            let (probeRead, probeWrite) = (probe[0], probe[1])
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
                var late: UInt8 = 1
                _ = write(probeWrite, &late, 1)
                close(probeRead)
                close(probeWrite)
            }
            var byte: UInt8 = 0
            sawEINTR = read(probeRead, &byte, 1) < 0 && errno == EINTR
            let converter = LegacyConverter(
                options: conversionOptions(vector.args),
                reader: StreamReader(FileDescriptorSource(FileDescriptor(rawValue: inPipe[0]))),
                writer: StreamWriter(FileDescriptorSink(FileDescriptor(rawValue: outPipe[1])), capacity: 4096))
            result = Result { try converter.run() }
            close(outPipe[1])
            close(inPipe[0])
            finished.signal()
            release.wait()  // stay alive until the signals stop
        }.start()
        ready.wait()

        let feeder = Thread {
            input.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count, let base = raw.baseAddress {
                    let n = write(inPipe[1], base + done, min(1000, raw.count - done))
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    done += n
                    usleep(500)
                }
            }
            close(inPipe[1])
        }
        nonisolated(unsafe) var output: [UInt8] = []
        let drained = DispatchSemaphore(value: 0)
        let drainer = Thread {
            var buffer = [UInt8](repeating: 0, count: 1500)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(outPipe[0], $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                output.append(contentsOf: buffer[0..<n])
                usleep(100)
            }
            close(outPipe[0])
            drained.signal()
        }
        usleep(50_000)
        feeder.start()
        drainer.start()
        var signals = 0
        let deadline = Date().addingTimeInterval(60)
        while finished.wait(timeout: .now() + .microseconds(300)) == .timedOut {
            pthread_kill(thread, SIGUSR2)
            signals += 1
            if Date() > deadline {
                Issue.record("the conversion did not finish within 60 s")
                return  // leaves its threads behind rather than hang the suite
            }
        }
        release.signal()
        #expect(drained.wait(timeout: .now() + 10) == .success)
        #expect(sawEINTR, "the signal did not interrupt a blocked read")
        #expect(signals > 50)
        if case .failure(let error)? = result { Issue.record("conversion failed: \(error)") }
        #expect(output == expected)
    }

    @Test("a source that gives one byte a read, into the smallest buffer: every vector converts exactly",
          arguments: Vector.all("convert").filter { $0.expectedStatus == 0 })
    func oneByteReads(_ vector: Vector) throws {
        let input = try #require(vector.bytes("input.legacy"))
        let sink = MemorySink()
        let converter = LegacyConverter(options: conversionOptions(vector.args),
                                        reader: StreamReader(MemorySource(input, chunkLimit: 1), capacity: 64),
                                        writer: StreamWriter(sink, capacity: 64))
        try converter.run()
        #expect(sink.bytes == vector.bytes("expected.out"))
    }

    @Test("the verifier, one byte a read: every vector gets its verdict",
          arguments: Vector.all("verify"))
    func oneByteReadsVerify(_ vector: Vector) throws {
        let stream = try #require(vector.bytes("stream"))
        let outcome = verify(stream, verifyFormat(vector.args), chunkLimit: 1, readerCapacity: 64)
        #expect((outcome.error == nil) == (vector.expectedStatus == 0), "\(outcome.error.map { "\($0)" } ?? "ok")")
    }

    @Test("convert-legacy-stream fed one byte per write, stopped and continued: exact output")
    func oneBytePerWrite() throws {
        let vector = Vector(kind: "convert", name: "hvm64-libxl")
        let input = try #require(vector.bytes("input.legacy"))
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let inPipe = Spawn.pipePair()
        let child = try Child(Paths.converter, ["-i", "-", "-o", out] + vector.args.filter { $0 != "-v" },
                              descriptors: [(inPipe[0], 0)])
        close(inPipe[0])
        input.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            for i in 0..<raw.count {
                while write(inPipe[1], base + i, 1) < 0 && errno == EINTR {}
                if i % 20000 == 10000 {
                    child.send(SIGSTOP)
                    usleep(5000)
                    child.send(SIGCONT)
                }
            }
        }
        close(inPipe[1])
        let exit = try #require(child.wait(timeout: 30))
        #expect(exit.status == 0)
        #expect((try? Data(contentsOf: URL(fileURLWithPath: out))).map { [UInt8]($0) } == vector.bytes("expected.out"))
    }

    @Test("an input that cannot be read or opened: exit 1 and one message",
          arguments: [
            ("/proc/self/mem", "Read error: Input/output error"),
            ("descriptor opened write-only", "Read error: Bad file descriptor"),
            ("a directory", "Is a directory"),
            ("a missing file", "No such file or directory"),
          ])
    func unreadable(_ input: String, _ message: String) throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writeOnly = try openFile(dir.appendingPathComponent("w").path, O_WRONLY | O_CREAT)
        defer { close(writeOnly) }
        let errPipe = Spawn.pipePair()
        var descriptors: [(Int32, Int32)] = [(errPipe[1], 2)]
        let argument: String
        switch input {
        case "descriptor opened write-only": argument = "7"; descriptors.append((writeOnly, 7))
        case "a directory": argument = dir.path
        case "a missing file": argument = dir.appendingPathComponent("missing").path
        default: argument = input
        }
        let child = try Child(Paths.converter, ["-i", argument, "-o", "/dev/null", "-w", "64", "-g", "hvm"],
                              descriptors: descriptors)
        close(errPipe[1])
        let stderr = Drain(errPipe[0])
        let exit = try #require(child.wait(timeout: 20))
        let text = String(decoding: stderr.finish(), as: UTF8.self)
        #expect(exit.signal == nil && exit.status == 1, "\(text)")
        #expect(text.contains(message) && text.split(separator: "\n").count == 1, "\(text)")
    }

    @Test("a file without read permission: exit 1", .enabled(if: geteuid() != 0, "root reads any file"))
    func noPermission() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("secret").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        chmod(path, 0)
        let (exit, stderr) = try runTool(Paths.converter, ["-i", path, "-o", "/dev/null", "-w", "64", "-g", "hvm"])
        #expect(exit?.status == 1 && stderr.contains("Permission denied"), "\(stderr)")
    }

    @Test("verify-stream-v2: a read error exits 1; an input it cannot open exits 2, as Xen's does")
    func verifierInputs() throws {
        let unreadable = try runTool(Paths.verifier, ["-i", "/proc/self/mem"])
        #expect(unreadable.exit?.status == 1 && unreadable.stderr.contains("Input/output error"), "\(unreadable.stderr)")
        let directory = try runTool(Paths.verifier, ["-i", "/"])
        #expect(directory.exit?.status == 2 && directory.stderr.contains("Is a directory"), "\(directory.stderr)")
    }
}

// MARK: - Mutated vectors

/// One mutated conformance vector: the tool's arguments and the bytes.
private struct Mutant {
    var kind: String
    var vector: String
    var arguments: [String]
    var bytes: [UInt8]
    var description: String
}

/// A fixed sample of mutants: bit flips and 1-, 4- and 8-byte fields set to
/// 0, 0x7fffffff or all ones, one to three per vector, half of them at
/// structure boundaries (where the fields are) and half anywhere.
private func mutants(count: Int, seed: UInt64) -> [Mutant] {
    var rng = MutationRNG(seed: seed)
    let vectors = Vector.all("convert").filter { $0.expectedStatus == 0 } + Vector.all("verify").filter { $0.expectedStatus == 0 }
    var boundaryCache: [String: [Int]] = [:]
    func boundaries(_ v: Vector, _ bytes: [UInt8]) -> [Int] {
        if let b = boundaryCache[v.testDescription] { return b }
        var marks: [Int] = []
        if v.kind == "convert" {
            _ = convert(bytes, conversionOptions(v.args), marks: { marks.append(Int($0)) })
        } else {
            marks = recordBoundaries(bytes, verifyFormat(v.args))
        }
        boundaryCache[v.testDescription] = marks
        return marks
    }
    var result: [Mutant] = []
    for index in 0..<count {
        let v = vectors[rng.below(vectors.count)]
        guard var bytes = v.bytes(v.kind == "convert" ? "input.legacy" : "stream"), !bytes.isEmpty else { continue }
        let marks = boundaries(v, bytes)
        var what: [String] = []
        for _ in 0...rng.below(3) {
            var at = rng.below(2) == 0 && !marks.isEmpty
                ? max(0, marks[rng.below(marks.count)] - 12 + rng.below(24)) : rng.below(bytes.count)
            at = min(at, bytes.count - 1)
            switch rng.below(4) {
            case 0:
                let bit = rng.below(8)
                bytes[at] ^= 1 << bit
                what.append("flip bit \(bit) at \(at)")
            default:
                let width = [1, 4, 4, 8][rng.below(4)]
                let value: UInt64 = [0, 0x7fff_ffff, .max][rng.below(3)]
                at -= at % width
                for i in 0..<width where at + i < bytes.count {
                    bytes[at + i] = width == 8 || value != 0x7fff_ffff
                        ? UInt8(truncatingIfNeeded: value >> (8 * i)) : (i == 3 ? 0x7f : 0xff)
                }
                what.append("\(width) bytes at \(at) = 0x\(String(value, radix: 16))")
            }
        }
        var args = v.args.filter { $0 != "-v" }
        // Now and then let the converter detect what the image is.
        if v.kind == "convert" && index % 4 == 3 {
            var i = 0
            var kept: [String] = []
            while i < args.count {
                if ["-w", "-g", "--width", "--guest"].contains(args[i]) { i += 2; continue }
                kept.append(args[i])
                i += 1
            }
            args = kept + ["--auto"]
        }
        result.append(Mutant(kind: v.kind, vector: v.name, arguments: args, bytes: bytes,
                             description: "\(v.testDescription) \(args.joined(separator: " ")): \(what.joined(separator: ", "))"))
    }
    return result
}

@Suite("Mutated conformance vectors")
struct MutatedVectorTests {
    @Test("2000 mutants in process: each a result or a StreamError, within a few seconds")
    func inProcess() {
        for mutant in mutants(count: 2000, seed: 0x6d75_7461_6e74) {
            let started = Date()
            if mutant.kind == "convert" {
                var options = conversionOptions(mutant.arguments)
                if mutant.arguments.contains("--auto") {
                    options.width = nil
                    options.guest = nil
                    options.xlHeader = nil
                }
                _ = convert(mutant.bytes, options)
            } else {
                _ = verify(mutant.bytes, verifyFormat(mutant.arguments))
            }
            let seconds = Date().timeIntervalSince(started)
            #expect(seconds < 5, "\(seconds)s: \(mutant.description)")
        }
    }

    /// 400 mutants through the built tools, in 8 batches that run in parallel.
    @Test("the tools on 400 mutants: exit 0, 1 or 2 within seconds, under 64 MiB", arguments: 0..<8)
    func tools(batch: Int) throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in").path
        for mutant in mutants(count: 50, seed: 0x746f_6f6c_7300 + UInt64(batch)) {
            try Data(mutant.bytes).write(to: URL(fileURLWithPath: input))
            let tool = mutant.kind == "convert" ? Paths.converter : Paths.verifier
            let output = mutant.kind == "convert" ? ["-o", "/dev/null"] : []
            let (exit, stderr) = try runTool(tool, ["-i", input] + output + mutant.arguments, timeout: 10)
            guard let exit else { continue }  // recorded by runTool
            #expect(exit.signal == nil, "signal \(exit.signal ?? 0): \(mutant.description)")
            #expect([0, 1, 2].contains(exit.status ?? -1), "status \(exit.status ?? -1): \(mutant.description)")
            #expect(exit.seconds < 5, "\(exit.seconds)s: \(mutant.description)")
            #expect(withinMemoryLimit(exit), "peak RSS \(exit.maxRSSKiB ?? 0) KiB: \(mutant.description)")
            if exit.status != 0 {
                #expect(stderr.split(separator: "\n").count == 1, "\(mutant.description): \(stderr)")
            }
        }
    }
}

// MARK: - Fuzz regressions

/// The fuzz targets' first-byte modes (fuzz/targets/FuzzMode.swift; keep
/// the two in step), to replay their findings here.
private enum FuzzReplay {
    static func converted(_ input: [UInt8]) -> Outcome? {
        guard let byte = input.first else { return nil }
        let detect = byte & 0x40 != 0
        let options = ConversionOptions(
            width: detect ? nil : (byte & 0x01 != 0 ? .bits32 : .bits64),
            guest: detect ? nil : (byte & 0x02 != 0 ? .pv : .hvm),
            format: byte & 0x04 != 0 ? .libxl : .libxc,
            streamVersion: byte & 0x08 != 0 ? 3 : 2,
            xlHeader: detect ? nil : byte & 0x10 != 0,
            skipQemu: byte & 0x20 != 0)
        let slow = byte & 0x80 != 0
        return convert(Array(input.dropFirst()), options, chunkLimit: slow ? 7 : .max,
                       readerCapacity: slow ? 64 : StreamReader.defaultCapacity)
    }

    static func verified(_ input: [UInt8]) -> Outcome? {
        guard let byte = input.first else { return nil }
        let format = [VerifyFormat.libxc, .libxl, .xl, .libxc][Int(byte & 3)]
        let slow = byte & 0x80 != 0
        return verify(Array(input.dropFirst()), format, chunkLimit: slow ? 7 : .max,
                      readerCapacity: slow ? 64 : StreamReader.defaultCapacity)
    }
}

// The fuzzers have found nothing so far (fuzz/README.md). The first finding
// goes to Tests/XenMigrationTests/Regression/TARGET/ with a test here that
// replays it through FuzzReplay and expects its verdict.
@Suite("Fuzz findings")
struct FuzzRegressionTests {
    /// The seed corpus, decoded as the fuzz targets decode it: each seed
    /// must end as its conformance vector does. This keeps the mode bytes
    /// here, in fuzz/targets/FuzzMode.swift and in make-corpus.py in step.
    @Test("the fuzz seeds replay with their vectors' verdicts", arguments: ["convert", "verify"])
    func seeds(_ target: String) throws {
        let dir = Paths.packageRoot.appendingPathComponent("fuzz/corpus/\(target)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(names.count > 50)
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
            // NAME-HASH or NAME-detect-slow-HASH / NAME-slow-HASH.
            var vector = String(name.dropLast(9))
            for suffix in ["-detect-slow", "-slow"] where vector.hasSuffix(suffix) {
                vector = String(vector.dropLast(suffix.count))
            }
            let expected = Vector(kind: target, name: vector).expectedStatus
            let outcome = target == "convert" ? FuzzReplay.converted(bytes) : FuzzReplay.verified(bytes)
            #expect((outcome?.error == nil) == (expected == 0),
                    "\(name): \(outcome?.error.map { "\($0)" } ?? "ok"), vector exits \(expected)")
        }
    }
}
