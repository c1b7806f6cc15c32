import SystemPackage
import XenMigration

extension ConvertCommand {
    /// A run reads as the work happens: open everything, convert confined,
    /// make the output final, then the side files. Any failure after the
    /// opening drops what is not yet final.
    package func execute(_ console: Console) throws(ToolFailure) {
        SignalCleanup.install()  // before any file is made
        let run = try ConversionRun.open(self, console: console)
        let converted: ConversionRun.Converted
        do throws(ToolFailure) {
            converted = try run.convert()
            try run.commit(converted)
            try run.writeSideFiles(converted)
        } catch {
            run.abandon()
            throw error
        }
        if converted.result.report.source == .xend && converted.result.report.guestType == .hvm {
            console.note(Xend.hvmRestoreNote)
        }
    }
}

/// One conversion as the tool runs it.
struct ConversionRun {
    let command: ConvertCommand
    let console: Console
    let input: FileDescriptor
    /// Nil for a dry run.
    let target: OutputTarget?
    let reportFile: SideFile?
    let configFile: SideFile?
    let options: ConversionOptions

    /// What the conversion gave, and when it started (for the report).
    struct Converted {
        var result: ConversionResult
        var started: ContinuousClock.Instant
    }

    /// Set-up: everything the run will open is opened here, before the
    /// sandbox (the input, the output or its temporary file, `--config`,
    /// `--report`, `--config-out`); syslog's socket was connected with the
    /// console.
    static func open(_ command: ConvertCommand, console: Console) throws(ToolFailure) -> ConversionRun {
        let input = try Endpoint.openInput(command.input ?? "-")
        var target: OutputTarget?
        if !command.dryRun, let output = command.output {
            target = try OutputTarget.open(output, input: input)
        }
        var options = command.conversionOptions
        if let config = command.config {
            do throws(ToolFailure) {
                options.replacementConfig = try ConfigFiles.read(config)
            } catch {
                target?.abandon()
                throw error
            }
        }
        return ConversionRun(
            command: command, console: console, input: input, target: target,
            reportFile: command.report.map {
                SideFile.prepare($0, label: "report", mode: FilePermissions(rawValue: 0o666))
            },
            configFile: command.configOut.map {
                SideFile.prepare($0, label: "config", mode: FilePermissions(rawValue: 0o644))
            },
            options: options)
    }

    /// Confines the process, then reads the whole stream and writes the
    /// converted one (nothing for a dry run).
    func convert() throws(ToolFailure) -> Converted {
        let reader = StreamReader(FileDescriptorSource(input))
        let sink: any ByteSink = target.map { FileDescriptorSink($0.descriptor) } ?? NullSink()
        if let target { Pipes.enlarge(target.descriptor) }
        let meter = command.progress ? ProgressMeter(total: Endpoint.regularFileSize(input)) : nil
        let converter = LegacyConverter(
            options: options, reader: reader, writer: StreamWriter(sink), allowZeroCopy: Endpoint.allowZeroCopy,
            verbose: console.infoSink,
            progress: meter.map { meter in { bytes, pages in meter.update(bytesRead: bytes, pages: pages) } })

        try Sandbox.confine(disabled: command.common.noSandbox, console: console)
        let started = ContinuousClock.now
        defer { meter?.finish(bytesRead: reader.offset) }
        do {
            return Converted(result: try converter.convert(), started: started)
        } catch {
            // Say what the input really is when it is not what the options say.
            throw .stream(error.diagnosed)
        }
    }

    /// Makes the converted stream final (fsync and rename for a file).
    func commit(_ converted: Converted) throws(ToolFailure) {
        if command.configOut != nil && converted.result.config == nil {
            throw ToolFailure(
                .output,
                "No domain config to write to --config-out: the input is neither an xend image nor an "
                    + "xl save file with a config in its header")
        }
        try target?.commit()
    }

    /// `--config-out`, then `--report`.
    func writeSideFiles(_ converted: Converted) throws(ToolFailure) {
        if let configFile, let bytes = converted.result.config?.bytes {
            try configFile.write(bytes)
        }
        if let reportFile {
            let seconds = (ContinuousClock.now - converted.started).seconds
            let document = ReportDocument(converted.result.report, seconds: seconds, dryRun: command.dryRun)
            let text: String
            do {
                text = try ReportFile.json(document)
            } catch {
                throw reportFile.failure("\(error)")
            }
            try reportFile.write(Array(text.utf8))
        }
    }

    /// Drops whatever is not final yet.
    func abandon() {
        target?.abandon()
        reportFile?.abandon()
        configFile?.abandon()
    }
}

extension Duration {
    /// In seconds, as the report gives it.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension Xend {
    /// Said on standard error after an HVM `xm save` image converts: its
    /// device model state is qemu-dm's, which only qemu-traditional loads,
    /// and xl fails late (`device model .../qemu-dm is not executable`)
    /// on a Xen built without it (Debian 12's 4.17 is one).
    package static let hvmRestoreNote =
        "Note: this HVM guest's device model state is qemu-dm's: restoring it needs a Xen built with "
        + "qemu-traditional (Xen 4.6 to 4.20, qemu-dm beside libxl-save-helper); without it xl restore "
        + "fails with \"device model .../qemu-dm is not executable\""
}
