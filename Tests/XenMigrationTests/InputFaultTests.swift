import Foundation
import SystemPackage
import TestSupport
import Testing
import XenMigration

#if canImport(Glibc)
    import Glibc
#endif

/// Blocked reads and writes interrupted by a signal whose handler does not
/// ask for restarts: they fail with EINTR, which the I/O layer must retry.
private func interruptingHandlerInstalled() -> Bool {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in }
    action.sa_flags = 0  // no SA_RESTART
    sigemptyset(&action.sa_mask)
    return sigaction(SIGUSR2, &action, nil) == 0
}

/// Reads that are interrupted, or come a byte at a time, in process.
@Suite("Input faults")
struct InputFaultTests {
    @Test("EINTR on every blocked read and write is retried: the output is exact")
    func interruptedIO() throws {
        #expect(interruptingHandlerInstalled())
        let vector = Vector(kind: "convert", name: "hvm64-libxl-toolstack-xl")
        let input = try #require(vector.bytes("input.legacy"))
        let expected = try #require(vector.bytes("expected.out"))
        let options = try conversionOptions(vector.args)
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
            let probe = Spawn.pipePair()
            let (probeRead, probeWrite) = (probe[0], probe[1])
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
                var late: UInt8 = 1
                _ = write(probeWrite, &late, 1)
                close(probeRead)
                close(probeWrite)
            }
            var byte: UInt8 = 0
            sawEINTR = read(probeRead, &byte, 1) < 0 && errno == EINTR
            result = Result {
                try LegacyConverter(
                    options: options,
                    reader: StreamReader(FileDescriptorSource(FileDescriptor(rawValue: inPipe[0]))),
                    writer: StreamWriter(FileDescriptorSink(FileDescriptor(rawValue: outPipe[1])), capacity: 4096)
                ).run()
            }
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

    @Test(
        "a source that gives one byte a read, into the smallest buffer: every vector converts exactly",
        arguments: Vector.all("convert").filter { $0.expectedStatus == 0 })
    func oneByteReads(_ vector: Vector) throws {
        let input = try #require(vector.bytes("input.legacy"))
        let sink = MemorySink()
        let converter = LegacyConverter(
            options: try conversionOptions(vector.args),
            reader: StreamReader(MemorySource(input, chunkLimit: 1), capacity: 64),
            writer: StreamWriter(sink, capacity: 64))
        _ = try converter.run()
        #expect(sink.bytes == vector.bytes("expected.out"))
    }

    @Test(
        "the verifier, one byte a read: every vector gets its verdict",
        arguments: Vector.all("verify"))
    func oneByteReadsVerify(_ vector: Vector) throws {
        let stream = try #require(vector.bytes("stream"))
        let outcome = verify(stream, try verifyFormat(vector.args), chunkLimit: 1, readerCapacity: 64)
        #expect((outcome.error == nil) == (vector.expectedStatus == 0), "\(outcome.error.map { "\($0)" } ?? "ok")")
    }
}
