import ArgumentParser
import Foundation
import KinecolorMedia
import KinecolorModel
import KinecolorMotion
import KinecolorPipeline

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect the shots of a film and write an editable project file for `kinecolor render`.",
        discussion: """
        The project (JSON, Docs/project-file.md) lists every shot with its frames,
        timecodes, class, seed, a skip flag and notes. Edit it — change a shot's
        class or seed, skip a shot that is already in color, merge or split shots —
        then render it. With --shots, the shots of a list cut in an editor are used
        instead of detecting them: a PySceneDetect CSV (its Start Frame and End
        Frame columns) or a CMX 3600 EDL (its record timeline, HH:MM:SS:FF at the
        film's rate; dissolves and wipes are taken as cuts at their start).
        Examples:
          kinecolor plan film.mkv -o film.kcproj.json --class auto --seed 1
          kinecolor plan film.mkv -o film.kcproj.json --shots film.edl
        """)

    @OptionGroup var input: InputOptions<FilmInput>
    @OptionGroup var sequence: SequenceRateOption
    @Option(name: .shortAndLong, help: "Project file to write (*.kcproj.json).") var output: String
    @OptionGroup var color: ColorOptions
    @OptionGroup var temporal: TemporalOptions
    @Option(name: .customLong("video-stream"), parsing: .unconditional, help: "Index of the video stream (default: the first).") var videoStream: Int?
    @Option(help: ArgumentHelp("Shot list to use instead of detecting (PySceneDetect CSV or CMX 3600 EDL).", valueName: "file"))
    var shots: String?
    @OptionGroup var replace: OverwriteOption
    @OptionGroup var display: QuietOption

    func validate() throws {
        try Bounds.check(videoStream, Bounds.videoStream, "--video-stream")
    }

    func run() throws {
        let inputFile = input.path, overwrite = replace.overwrite
        try Output.checkWritable(output, overwrite: overwrite, inputs: [inputFile])
        try Input.checkReadable(inputFile)
        try sequence.apply(to: inputFile)
        let model = try color.loadModel()
        let options = color.colorizeOptions(temporal, videoStream: videoStream, model: model)
        let url = URL(fileURLWithPath: inputFile).standardizedFileURL, progress = display.progress()
        let imported = try self.shots.map { try ShotFile.read($0, film: url, videoStream: videoStream) }
        for line in imported?.warnings ?? [] { progress.warn(line) }
        let analysis = try FilmAnalysis.analyze(url, videoStream: videoStream, classEstimator: options.wantsAutoClass ? model : nil,
                                                keyframesAtSize: options.keyframes == .auto ? options.size : nil,
                                                shots: imported, cache: .standard, progress: progress)
        let shots = try options.shotSettings(for: analysis, network: model)
        let project = try Project(input: url, videoStream: videoStream, analysis: analysis, shots: shots, options: options,
                                  modelPath: color.model.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, network: model)
        try project.save(to: URL(fileURLWithPath: output), overwrite: overwrite)
        if !display.quiet { FileHandle.standardError.write(Data("\(shots.count) shots, \(analysis.frameCount) frames → \(output)\n".utf8)) }
    }
}

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a project file: every shot with exactly the class, seed and skip flag it lists.",
        usage: """
        kinecolor render <project> -o <output> [<options>]
        kinecolor render <project> --shard <i/n> --work <work> [<options>]
        """,
        discussion: """
        Shots are rendered into lossless per-shot segments in a work folder (default:
        beside the output), then assembled with the original audio. After a crash or
        kill, the same command skips the shots already done. The work folder is
        removed after success; with --keep-work (or the project's defaults.keep_work)
        it stays, and after editing a shot only that shot is rendered again.
        --from/--to render only that part (both ends included) from the shots it
        touches, with its audio, from time 0.
        With --shard i/n, only shard i of n is rendered (balanced by frame count) and
        nothing is assembled or removed: run the shards on several machines with a
        shared --work folder, then `kinecolor assemble`.
        Examples:
          kinecolor render film.kcproj.json -o film-color.mkv
          parallel kinecolor render film.kcproj.json --work /shared/work \\
            --shard {}/4 ::: 1 2 3 4
        """)

    @Argument(help: "Project file written by `kinecolor plan`.") var project: String
    @Option(name: .shortAndLong, help: "Output film, its extension picks the container; or an image sequence, out_%06d.tif (.dpx, .png). Not with --shard.") var output: String?
    @Option(help: "Work folder for the per-shot segments (default: .<output>.kinecolor-work beside the output).") var work: String?
    @Option(help: ArgumentHelp("Render only shard i of n (e.g. 2/4), for several machines; then run `kinecolor assemble`.",
                               valueName: "i/n"), transform: Shard.init(parsing:))
    var shard: Shard?
    @Option(help: ArgumentHelp("Render only these shots (e.g. 3,7-9) into a short review clip, with their audio.",
                               valueName: "list"), transform: ShotNumbers.init(parsing:))
    var shots: ShotNumbers?
    @OptionGroup var range: RangeOptions
    @Option(help: "Model file, or 'default' (the embedded one); default: the project's model (checked against its recorded checksum).")
    var model: String?
    @Option(parsing: .unconditional, help: "Threads for the network (default: all cores).") var threads: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("""
        Place keyframes anew ('auto', every Nth frame, or 'all') instead of the \
        project's lists; the project file is not changed.
        """, valueName: "auto|N|all"), transform: KeyframeChoice.init(parsing:))
    var keyframes: KeyframeChoice?
    @Flag(help: "Refuse a reference whose luma does not resemble its frame (default: warn).") var strict = false
    @OptionGroup var keep: KeepWorkOption
    @OptionGroup var encoding: EncodingOptions
    @OptionGroup var replace: OverwriteOption
    @OptionGroup var display: QuietOption

    func validate() throws {
        if shard == nil && output == nil { throw ValidationError("give -o OUTPUT (or --shard i/n with --work DIR)") }
        try Bounds.check(threads, Bounds.threads, "--threads")
        if shard != nil && work == nil { throw ValidationError("--shard needs --work DIR, a folder all shards share") }
        if shard != nil && shots != nil { throw ValidationError("give --shard or --shots, not both") }
        if range.isSet && (shard != nil || shots != nil) { throw ValidationError("--from/--to go with neither --shard nor --shots") }
    }

    func run() throws {
        let job = try ProjectJob.open(project, model: model, threads: threads, work: work, output: output,
                                      keyframes: keyframes?.policy, progress: display.progress())
        do {
            try render(job)
        } catch is Interrupted {
            // Finished segments stay: say so, so that nobody deletes a night's work.
            let kept = job.render.shots.count - job.render.missing().count
            throw CLIError("interrupted; \(kept) of \(job.render.shots.count) shots are kept in \(job.render.workDirectory.path) (run the same command again to resume)")
        }
    }

    private func render(_ job: ProjectJob) throws {
        let progress = display.progress(), overwrite = replace.overwrite
        func checkReferences(_ shots: [Int]) throws {
            let project = job.render.project
            try ReferenceCheck.run(shots.flatMap { job.render.shots[$0].references },
                                   in: URL(fileURLWithPath: project.input.path), videoStream: project.input.videoStream,
                                   size: project.defaults.size, strict: strict, progress: progress)
        }
        if let spec = shard {
            let mine = job.render.shardShots(index: spec.index, count: spec.count)
            try checkReferences(job.render.missing(mine))
            progress.note("shard \(spec.index)/\(spec.count): \(mine.count) shots, \(job.render.missing(mine).count) to render")
            try job.render.renderSegments(mine, progress: progress)
            return
        }
        let out = URL(fileURLWithPath: output!)
        try Output.checkWritable(output!, overwrite: overwrite, inputs: [job.render.project.input.path, project])
        let encode = encoding.options
        let source = URL(fileURLWithPath: job.render.project.input.path), stream = job.render.project.input.videoStream
        let notes = ImageSequence.isPattern(output!)
            ? try ImageSequenceWriter.check(pattern: output!, input: source, videoStream: stream, overwrite: overwrite)
            : try MediaWriter.check(url: out, copyingStreamsFrom: source, videoStream: stream, options: encode, overwrite: overwrite)
        for line in notes { progress.note("note: \(line)") }
        let frames = try range.frames(in: try job.timeline())
        let selection = try frames.map { FilmRange.shots(touching: $0, of: job.render.shots) } ?? shots?.indices(count: job.render.shots.count)
        let todo = job.render.missing(selection)
        try checkReferences(todo)
        progress.note("\(selection?.count ?? job.render.shots.count) shots, \(todo.count) to render; work folder \(job.render.workDirectory.path)")
        try job.render.renderSegments(selection, progress: progress)
        try job.render.assemble(output: out, encode: encode, overwrite: overwrite, only: frames == nil ? selection : nil,
                                frames: frames, progress: progress)
        keep.tidy(job.render, excerpt: selection != nil, progress: progress)
        progress.note("wrote \(output!)")
    }
}

struct Assemble: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the rendered segments of a project (e.g. from shards) into the final film with the original audio.",
        usage: "kinecolor assemble <project> --work <work> -o <output> [<options>]",
        discussion: "Example: kinecolor assemble film.kcproj.json --work /shared/work -o film-color.mkv")

    @Argument(help: "Project file written by `kinecolor plan`.") var project: String
    @Option(name: .shortAndLong, help: "Output film; its extension picks the container.") var output: String
    @Option(help: "Work folder the shards rendered into.") var work: String
    @Option(help: "Model file; default: the project's model (it names the segments).") var model: String?
    @OptionGroup var keep: KeepWorkOption
    @OptionGroup var encoding: EncodingOptions
    @OptionGroup var replace: OverwriteOption
    @OptionGroup var display: QuietOption

    func run() throws {
        let job = try ProjectJob.open(project, model: model, threads: nil, work: work, output: output)
        try Output.checkWritable(output, overwrite: replace.overwrite, inputs: [job.render.project.input.path, project])
        let progress = display.progress()
        try job.render.assemble(output: URL(fileURLWithPath: output), encode: encoding.options, overwrite: replace.overwrite,
                                progress: progress)
        keep.tidy(job.render, excerpt: false, progress: progress)
    }
}

struct ReferenceFrame: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference",
        abstract: "Write the frame of a shot to paint for a reference, as the model colors it.",
        usage: "kinecolor reference <project> --shot <n> -o <output> [<options>]",
        discussion: """
        The frame is the shot's keyframe nearest its middle, at full resolution, exactly
        as `render` colors it now. Paint it in any image editor (keep its size), then
        list it in the shot's references in the project file:
          "references": [{"frame": 57, "image": "shot12.png"}]
        Example: kinecolor reference film.kcproj.json --shot 12 -o shot12.png
        """)

    @Argument(help: "Project file written by `kinecolor plan`.") var project: String
    @Option(parsing: .unconditional, help: "The shot (1-based, as in the project file).") var shot: Int
    @Option(parsing: .unconditional, help: "This frame of the shot instead (1-based, as in the shot list).") var frame: Int?
    @Option(name: .shortAndLong, help: "Output PNG.") var output: String
    @Option(help: "Model file; default: the project's model.") var model: String?
    @Option(parsing: .unconditional, help: "Threads for the network (default: all cores).") var threads: Int?
    @OptionGroup var replace: OverwriteOption
    @OptionGroup var display: QuietOption

    func validate() throws {
        try Bounds.check(shot, Bounds.frameNumber, "--shot")
        try Bounds.check(frame, Bounds.frameNumber, "--frame")
        try Bounds.check(threads, Bounds.threads, "--threads")
    }

    func run() throws {
        let job = try ProjectJob.open(project, model: model, threads: threads, work: nil, output: output)
        let render = job.render, input = URL(fileURLWithPath: render.project.input.path)
        try Output.checkWritable(output, overwrite: replace.overwrite, inputs: [input.path, project])
        guard (1...render.shots.count).contains(shot) else { throw CLIError("--shot \(shot): the project has shots 1…\(render.shots.count)") }
        let s = render.shots[shot - 1]
        if let frame, !s.range.contains(frame - 1) {
            throw CLIError("--frame \(frame): shot \(shot) has frames \(s.start + 1)–\(s.end)")
        }
        let index = frame.map { $0 - 1 } ?? s.frameToPaint
        let options = render.project.options, progress = display.progress()
        let window = try FrameWindow.collect([index], of: input, shots: render.shots, options: options, progress: progress)[0]
        let picture = try window.render(shot: s, network: render.network, options: options)
        try StillImage.writePNG(picture, matrix: ColorMatrix.shown(window.video), to: URL(fileURLWithPath: output),
                                overwrite: replace.overwrite)
        let name = URL(fileURLWithPath: output).lastPathComponent
        progress.note("wrote \(output): frame \(index + 1) of shot \(shot); paint it, then add {\"frame\": \(index + 1), \"image\": \"\(name)\"} to the shot's \"references\"")
    }
}

/// A loaded project with its model and work folder, checked against its input.
struct ProjectJob {
    let render: SegmentedRender

    /// The film's frames for `--from`/`--to`, from the project's frame count and the stream's rate
    /// (opening the film, not decoding it).
    func timeline() throws -> FilmTimeline {
        let input = render.project.input
        let reader = try MediaReader(url: URL(fileURLWithPath: input.path), videoStream: input.videoStream)
        defer { reader.close() }
        return FilmTimeline(frameCount: input.frameCount, video: reader.video)
    }

    /// `keyframes`: a policy that replaces the project's keyframe lists for this run.
    static func open(_ projectPath: String, model: String?, threads: Int?, work: String?, output: String?,
                     keyframes: KeyframePolicy? = nil, progress: (any ProgressObserver)? = nil) throws -> ProjectJob {
        var plan = try Project.load(URL(fileURLWithPath: projectPath))
        let input = URL(fileURLWithPath: plan.input.path)
        // A sequence is read at the rate it was planned at; without it, at the demuxer's 25.
        if let rate = plan.sequenceRate, ImageSequence.isPattern(input.path) {
            ImageSequence.setFrameRate(rate, forPattern: input.path)
        }
        try Input.checkReadable(input.path)
        try plan.checkInput(input)
        var color = try ColorOptions.parse(threads.map { ["--threads", String($0)] } ?? [])
        color.model = model ?? plan.model.path
        let network = try color.loadModel()
        if model == nil, let recorded = plan.model.sha256, let actual = network.checksum, recorded != actual {
            if plan.model.path == nil {
                // Kinecolor was upgraded since the plan: a new embedded model colors differently.
                throw CLIError("\(projectPath): planned with \(plan.model.name), but this kinecolor embeds \(DefaultModel.fileName), which colors differently; pass --model default to use it (every shot renders again) or --model FILE for the old one")
            }
            throw CLIError("\(projectPath): model.sha256 does not match \(plan.model.path ?? "the embedded model") (it changed since the project was planned); pass --model to render with another model")
        }
        if let keyframes { plan = try plan.withKeyframes(keyframes, progress: progress) }
        let folder: URL
        if let work {
            folder = URL(fileURLWithPath: work)
        } else {
            let out = URL(fileURLWithPath: output!)
            folder = out.deletingLastPathComponent().appendingPathComponent(".\(out.lastPathComponent).kinecolor-work")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw CLIError("\(folder.path): the work folder is a file, not a folder")
        }
        let file = URL(fileURLWithPath: projectPath)
        return ProjectJob(render: try SegmentedRender(project: plan, network: network, workDirectory: folder,
                                                      projectName: file.lastPathComponent,
                                                      projectDirectory: file.deletingLastPathComponent()))
    }
}

/// `--keep-work`: what happens to the work folder after a successful render or assembly. Removed
/// by default (hundreds of megabytes per minute of film, Docs/project-file.md); kept, it makes the
/// next render after an edit cost only the edited shots. Shards never get here: their segments are
/// the assembly's input.
struct KeepWorkOption: ParsableArguments {
    @Flag(help: "Keep the work folder's segments after success, for later edits.") var keepWork = false

    func tidy(_ render: SegmentedRender, excerpt: Bool, progress: TerminalProgress) {
        if keepWork || render.project.defaults.keepWork == true {
            // An excerpt uses some shots only: the others' segments are not stale.
            if !excerpt { render.removeStaleSegments() }
        } else if !render.removeWork() {
            progress.note("work folder \(render.workDirectory.path) kept: it holds other files")
        }
    }
}
