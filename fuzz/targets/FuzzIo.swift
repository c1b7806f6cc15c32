// libFuzzer target: the descriptor paths against the in-memory ones.
//
// Byte 0 is a converter mode (as in FuzzConvert); byte 1 picks the run:
// bit 0 the input is a pipe (else a regular file), bit 1 run the verifier
// instead (bits 2-3 its format, as VerifyMode's bits 0-1), bit 4 the
// reader's usual buffer (else 4 KiB, so runs of 64 KiB and more are not
// already buffered and go by zero-copy). The rest is the input. Each input runs twice: from memory to memory, and between real
// descriptors, where page data and skipped runs move by sendfile or splice
// (IO/Transfer.swift). Both must end the same way: the same error (kind,
// offset and message) or the same output bytes. A difference is a crash.
import FuzzSupport
import SystemPackage
import XenMigration

#if canImport(Glibc)
    import Glibc
#endif

/// One regular file for input and one for output, reused by every run.
let inputFile = scratchFile()
let outputFile = scratchFile()

func scratchFile() -> Int32 {
    var template = Array("/tmp/fuzz-io.XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    precondition(fd >= 0, "mkstemp failed")
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    return fd
}

func refill(_ fd: Int32, with bytes: [UInt8]) {
    precondition(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
        precondition(n > 0, "write failed")
        done += n
    }
    precondition(lseek(fd, 0, SEEK_SET) == 0)
}

func contents(_ fd: Int32) -> [UInt8] {
    let size = Int(lseek(fd, 0, SEEK_END))
    var bytes = [UInt8](repeating: 0, count: size)
    let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, size, 0) }
    precondition(n == size, "pread failed")
    return bytes
}

/// A pipe already holding all of `bytes`, its write end closed; nil when
/// they do not fit in the largest pipe buffer allowed.
func filledPipe(_ bytes: [UInt8]) -> Int32? {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { return nil }
    let size = fcntl(fds[1], 1031 /* F_SETPIPE_SZ */, 1 << 20)
    guard size >= bytes.count else {
        close(fds[0])
        close(fds[1])
        return nil
    }
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress! + done, $0.count - done) }
        precondition(n > 0, "pipe write failed")
        done += n
    }
    close(fds[1])
    return fds[0]
}

struct Ending: Equatable {
    var error: StreamError?
    var output: [UInt8]?
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 2 else { return 0 }
    let mode = ConvertMode(data[0])
    let usePipe = data[1] & 1 != 0
    let verifyFormat: VerifyFormat? = data[1] & 2 != 0 ? VerifyMode((data[1] >> 2) & 3).format : nil
    let input = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    let capacity = data[1] & 0x10 != 0 ? StreamReader.defaultCapacity : 4096

    func run(_ source: any ByteSource, _ sink: any ByteSink, output: () -> [UInt8]) -> Ending {
        do {
            if let verifyFormat {
                try StreamVerifier.verify(reader: StreamReader(source, capacity: capacity), format: verifyFormat)
                return Ending(error: nil, output: [])
            }
            let writer = StreamWriter(sink)
            _ = try LegacyConverter(
                options: mode.options, reader: StreamReader(source, capacity: capacity),
                writer: writer
            ).run()
            return Ending(error: nil, output: output())
        } catch {
            return Ending(error: error, output: nil)
        }
    }

    let memorySink = MemorySink()
    let inMemory = run(MemorySource(input), memorySink, output: { memorySink.bytes })

    var inputFD = inputFile
    var pipeFD: Int32?
    if usePipe, let fd = filledPipe(input) {
        pipeFD = fd
        inputFD = fd
    } else {
        refill(inputFile, with: input)
    }
    refill(outputFile, with: [])
    let viaDescriptors = run(
        FileDescriptorSource(FileDescriptor(rawValue: inputFD)),
        FileDescriptorSink(FileDescriptor(rawValue: outputFile)),
        output: { contents(outputFile) })
    if let pipeFD { close(pipeFD) }

    if inMemory != viaDescriptors {
        fatalError(
            """
            memory and descriptor paths differ (\(pipeFD != nil ? "pipe" : "file") input):
              memory:      \(inMemory.error.map { "\($0)" } ?? "ok, \(inMemory.output?.count ?? 0) bytes")
              descriptors: \(viaDescriptors.error.map { "\($0)" } ?? "ok, \(viaDescriptors.output?.count ?? 0) bytes")
            """)
    }
    return 0
}
