import ArgumentParser
import Foundation
import KinecolorFiles
import KinecolorMedia
import KinecolorPipeline
import KinecolorShots

struct Image: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Colorize a photo (PNG, JPEG, …) exactly as a video frame would be, keeping its luma.",
        usage: "kinecolor image <input> -o <output> [<options>]",
        discussion: "Example: kinecolor image portrait.png -o portrait-color.png --class portrait --seed 3")

    @OptionGroup var input: InputOptions<PictureInput>
    @Option(name: .shortAndLong, help: "Output PNG.") var output: String
    @OptionGroup var color: ColorOptions
    @OptionGroup var replace: OverwriteOption
    @OptionGroup var display: QuietOption

    func run() throws {
        let inputFile = input.path, overwrite = replace.overwrite, progress = display.progress()
        try Output.checkWritable(output, overwrite: overwrite, inputs: [inputFile])
        try Input.checkReadable(inputFile)
        let model = try color.loadModel()
        let frame = try Stills.colorize(URL(fileURLWithPath: inputFile), network: model,
                                        options: color.colorizeOptions(nil, videoStream: nil, model: model),
                                        progress: progress, steps: 4)
        progress.step("writing \((output as NSString).lastPathComponent)", 4, of: 4)
        try StillImage.writePNG(frame, matrix: .bt601, to: URL(fileURLWithPath: output), overwrite: overwrite)
        progress.finishSteps()
    }
}

struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render one frame of a film exactly as `colorize` would, to check colors before a long render.",
        usage: """
        kinecolor preview <input> --at <time> -o <output> [<options>]
        kinecolor preview <input> --frame <n> -o <output> [<options>]
        kinecolor preview <project> --shot <n> -o <output> [<options>]
        """,
        discussion: """
        Uses the same shot detection, class, z and smoothing as `colorize` with the
        same options. With --grid, writes a labelled contact sheet of candidates
        instead: one row per class, one column per seed, so you can pick the colors
        for that shot.
        Examples:
          kinecolor preview film.mkv --at 00:01:02.5 -o frame.png
          kinecolor preview film.mkv --frame 1500 -o frame.png --class street --seed 4
          kinecolor preview film.mkv --at 62.5 -o sheet.png \\
            --grid classes=auto,portrait,street seeds=1,2,3
          kinecolor preview film.kcproj.json --shot 12 -o sheet.png \\
            --grid classes=portrait,street seeds=1,2,3
        """)

    @OptionGroup var input: InputOptions<FilmInput>
    @OptionGroup var sequence: SequenceRateOption
    @Option(parsing: .unconditional, help: ArgumentHelp("""
        Time of the frame: HH:MM:SS.mmm, MM:SS.s, seconds, or SMPTE HH:MM:SS:FF \
        at the film's rate (HH:MM:SS;FF drop-frame at 29.97 and 59.94).
        """, valueName: "time"),
            transform: FilmTime.init(parsing:))
    var at: FilmTime?
    @Option(parsing: .unconditional, help: "Frame number (1-based, as in the shot list).") var frame: Int?
    @Option(parsing: .unconditional, help: "With a project file: the middle frame of this shot (1-based).") var shot: Int?
    @Option(name: .shortAndLong, help: "Output PNG.") var output: String
    @OptionGroup var color: ColorOptions
    @OptionGroup var temporal: TemporalOptions
    @OptionGroup var reference: ReferenceOptions
    @Option(parsing: .upToNextOption, help: ArgumentHelp("""
        Contact sheet of candidates: classes=A,B,… seeds=1,2,… (either may be omitted; \
        at most \(ContactGrid.maxCandidates) candidates).
        """, valueName: "key=values"), transform: ContactGrid.init(parsing:))
    var grid: [ContactGrid] = []
    @Option(name: .customLong("video-stream"), parsing: .unconditional, help: "Index of the video stream (default: the first).") var videoStream: Int?
    @OptionGroup var replace: OverwriteOption
    @OptionGroup var display: QuietOption

    func validate() throws {
        if [at != nil, frame != nil, shot != nil].filter({ $0 }).count != 1 {
            throw ValidationError("give exactly one of --at TIME, --frame N and --shot N")
        }
        try Bounds.check(frame, Bounds.frameNumber, "--frame")
        try Bounds.check(shot, Bounds.frameNumber, "--shot")
        try Bounds.check(videoStream, Bounds.videoStream, "--video-stream")
        _ = try ContactGrid.combined(grid)
    }

    func run() throws {
        let inputFile = input.path, overwrite = replace.overwrite, progress = display.progress()
        if inputFile.hasSuffix(".kcproj.json") { return try runProject(inputFile) }
        if shot != nil { throw CLIError("--shot needs a project file (kinecolor plan); for a film use --at or --frame") }
        try Output.checkWritable(output, overwrite: overwrite, inputs: [inputFile])
        try Input.checkReadable(inputFile)
        try sequence.apply(to: inputFile)
        let images = try reference.images(), palette = try reference.paletteImage()
        let model = try color.loadModel()
        var options = color.colorizeOptions(temporal, videoStream: videoStream, model: model)
        let url = URL(fileURLWithPath: inputFile)
        // References, palettes and looks reach across shots: only they need the whole film read.
        if images.isEmpty && palette == nil && reference.looks.isEmpty,
           try previewLocally(url, model: model, options: options, progress: progress) {
            return
        }
        let analysis = try FilmAnalysis.analyze(url, videoStream: videoStream, classEstimator: options.wantsAutoClass ? model : nil,
                                                keyframesAtSize: options.keyframes == .auto ? options.size : nil,
                                                cache: .standard, progress: progress)
        options.references = try reference.resolve(images, in: analysis)
        options.palette = palette
        options.setups = !reference.noSetups
        options.looks = reference.lookMap
        let index = try at.map { try $0.frame(in: analysis, flag: "--at") } ?? frame! - 1
        var gridOptions = gridReady(options, model: model)
        gridOptions.references = options.references
        gridOptions.palette = options.palette
        let shots = try Looks.resolve(try gridOptions.shotSettings(for: analysis, network: model), in: url,
                                      videoStream: videoStream, network: model, options: options, progress: progress)
        try ReferenceCheck.run(options.references, in: url, videoStream: videoStream, size: options.size,
                               strict: reference.strict, progress: progress)
        let window = try FrameWindow(index, of: url, shots: shots, options: options, progress: progress)
        let k = window.shot.index
        try write(window, model: model, options: options, classProbabilities: analysis.classProbabilities?[k],
                  title: "\(url.lastPathComponent)  frame \(index + 1)  \(Timecode.format(seconds: analysis.frameTimes[index]))  shot \(k + 1)",
                  shotText: "shot \(k + 1) (frames \(shots[k].start + 1)–\(shots[k].end))")
    }

    /// One frame of a film that can be seeked by frame number: its shot, class estimate and
    /// keyframes come from the stretch around it (`LocalAnalysis`) instead of a pass over the whole
    /// film, and the picture is the one a whole-film analysis gives. False for a film that cannot.
    private func previewLocally(_ url: URL, model: ChromaNetwork, options: ColorizeOptions, progress: TerminalProgress) throws -> Bool {
        let reader = try MediaReader(url: url, videoStream: videoStream)
        let video = reader.video, count = reader.seekableFrameCount
        reader.close()
        guard let count else { return false }
        let timeline = FilmTimeline(frameCount: count, video: video)
        let index = try at.map { try $0.frame(in: timeline, flag: "--at") } ?? frame! - 1
        guard index < count else { throw CLIError("--frame \(index + 1) is past the end of the film (\(timeline.length))") }
        guard let local = try LocalAnalysis.around(index, of: url, videoStream: videoStream,
                                                   classEstimator: options.wantsAutoClass ? model : nil,
                                                   keyframesAtSize: options.keyframes == .auto ? options.size : nil,
                                                   progress: progress) else { return false }
        let shot = try gridReady(options, model: model).shotSettings(for: local, network: model)
        let window = try FrameWindow(index, of: url, shots: [shot], options: options, frameCount: count, progress: progress)
        let frames = "frames \(shot.start + 1)–\(shot.end)"
        try write(window, model: model, options: options, classProbabilities: local.classProbabilities,
                  title: "\(url.lastPathComponent)  frame \(index + 1)  \(Timecode.format(seconds: Double(index) / timeline.rate))  \(frames)",
                  shotText: "the shot of \(frames)")
        return true
    }

    /// A sheet names its classes: a model without a class head then needs no class of the shot's own.
    private func gridReady(_ options: ColorizeOptions, model: ChromaNetwork) -> ColorizeOptions {
        var ready = options
        if let spec = try? ContactGrid.combined(grid), spec.classes != nil && options.classChoice == nil && !model.hasClassEstimate {
            ready.classChoice = spec.classes!.first
        }
        return ready
    }

    /// Writes the window's frame, or with --grid its sheet of candidates, and says what it shows.
    private func write(_ window: FrameWindow, model: ChromaNetwork, options: ColorizeOptions, classProbabilities: [Float]?,
                       title: String, shotText: String) throws {
        let destination = URL(fileURLWithPath: output), overwrite = replace.overwrite
        if let spec = try ContactGrid.combined(grid) {
            let sheet = try ContactSheet.render(window: window, classes: spec.classes, seeds: spec.seeds,
                                                classProbabilities: classProbabilities,
                                                network: model, options: options, title: title, progress: display.progress())
            try StillImage.writePNG(rgb: sheet.rgb, width: sheet.width, height: sheet.height, to: destination, overwrite: overwrite)
            return
        }
        let picture = try window.render(shot: window.shot, network: model, options: options)
        try StillImage.writePNG(picture, matrix: ColorMatrix.shown(window.video), to: destination, overwrite: overwrite)
        if !display.quiet {
            let shot = window.shot
            FileHandle.standardError.write(Data("frame \(window.index + 1), \(shotText), class \(model.classNames[shot.classIndex]), seed \(shot.seed)\n".utf8))
        }
    }
}

extension Preview {
    /// Preview from a project file: its shots, classes, seeds and smoothing.
    func runProject(_ projectPath: String) throws {
        let given = [(!reference.references.isEmpty, "--reference"), (reference.palette != nil, "--palette"),
                     (!reference.looks.isEmpty, "--look"), (reference.noSetups, "--no-setups")]
        if let flag = given.first(where: \.0)?.1 {
            throw CLIError("\(flag): with a project file, say it in its shots (Docs/project-file.md)")
        }
        let job = try ProjectJob.open(projectPath, model: color.model, threads: color.threads, work: nil, output: output,
                                      keyframes: temporal.keyframes?.policy, progress: display.progress())
        let render = job.render, project = render.project
        let url = URL(fileURLWithPath: project.input.path)
        let overwrite = replace.overwrite, progress = display.progress()
        try Output.checkWritable(output, overwrite: overwrite, inputs: [url.path, projectPath])
        let index: Int
        if let shot {
            guard (1...render.shots.count).contains(shot) else { throw CLIError("--shot \(shot): the project has shots 1…\(render.shots.count)") }
            let s = render.shots[shot - 1]
            index = (s.start + s.end - 1) / 2
        } else if let frame {
            index = frame - 1
        } else {
            // On a film of one constant rate a time names its frame without a decode, as for
            // render's --from and --to; any other is read to find its frames' times.
            let reader = try MediaReader(url: url, videoStream: project.input.videoStream)
            let seekable = reader.canSeek(frameCount: project.input.frameCount)
            reader.close()
            if seekable {
                index = try at!.frame(in: try job.timeline(), flag: "--at")
            } else {
                let analysis = try FilmAnalysis.analyze(url, videoStream: project.input.videoStream, cache: .standard,
                                                        progress: progress)
                index = try at!.frame(in: analysis, flag: "--at")
            }
        }
        let options = project.options
        let window = try FrameWindow.collect([index], of: url, shots: render.shots, options: options, progress: progress)[0]
        if let spec = try ContactGrid.combined(grid) {
            let k = window.shot.index
            let title = "\(url.lastPathComponent)  frame \(index + 1)  shot \(k + 1)"
            let probabilities = try project.classProbabilities(ofShot: k, network: render.network, progress: progress)
            let sheet = try ContactSheet.render(window: window, classes: spec.classes, seeds: spec.seeds,
                                                classProbabilities: probabilities,
                                                network: render.network, options: options, title: title, progress: progress)
            try StillImage.writePNG(rgb: sheet.rgb, width: sheet.width, height: sheet.height, to: URL(fileURLWithPath: output), overwrite: overwrite)
        } else {
            let picture = try window.render(shot: window.shot, network: render.network, options: options)
            try StillImage.writePNG(picture, matrix: ColorMatrix.shown(window.video), to: URL(fileURLWithPath: output), overwrite: overwrite)
        }
    }
}

struct Sheet: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One colorized thumbnail per shot of a project, labelled with class and seed: review a whole film at a glance.",
        usage: "kinecolor sheet <project> -o <output> [<options>]",
        discussion: """
        A film with more shots than --per-page gets one PNG per page: NAME-001.png, \
        NAME-002.png, … for -o NAME.png, or as a pattern names them (-o sheet-%03d.png).
        Example: kinecolor sheet film.kcproj.json -o overview.png --columns 6
        """)

    @Argument(help: "Project file written by `kinecolor plan`.") var project: String
    @Option(name: .shortAndLong, help: "Output PNG, or a pattern for pages (sheet-%03d.png).") var output: String
    @Option(parsing: .unconditional, help: "Thumbnails per row.") var columns = 4
    @Option(name: .customLong("per-page"), parsing: .unconditional, help: "Thumbnails per page.") var perPage = 120
    @Option(help: "Model file; default: the project's model.") var model: String?
    @Option(parsing: .unconditional, help: "Threads for the network (default: all cores).") var threads: Int?
    @OptionGroup var replace: OverwriteOption
    @OptionGroup var display: QuietOption

    func validate() throws {
        try Bounds.check(columns, 1...64, "--columns")
        try Bounds.check(perPage, 1...10_000, "--per-page")
        try Bounds.check(threads, Bounds.threads, "--threads")
    }

    /// Shots whose frames are decoded together: their windows (a frame's keyframes and smoothing
    /// neighbours, up to about a hundred frames each) are most of what a sheet holds at once.
    static let batch = 2

    func run() throws {
        let job = try ProjectJob.open(project, model: model, threads: threads, work: nil, output: output)
        let render = job.render, shots = render.shots, options = render.project.options
        let url = URL(fileURLWithPath: render.project.input.path)
        let overwrite = replace.overwrite, progress = display.progress()
        let pages = (shots.count + perPage - 1) / perPage
        let paths = (1...max(1, pages)).map { Self.page($0, of: pages, output: output) }
        for path in paths { try Output.checkWritable(path, overwrite: overwrite, inputs: [url.path, project]) }
        let reader = try MediaReader(url: url, videoStream: render.project.input.videoStream)
        let layout = ContactSheet.Overview(video: reader.video, columns: columns)
        reader.close()
        progress.begin(phase: "thumbnails", total: shots.count, unit: "shots")
        for (p, path) in paths.enumerated() {
            let range = (p * perPage)..<min(shots.count, (p + 1) * perPage)
            var page = layout.page(cells: range.count, title: "\(url.lastPathComponent)  \(shots.count) shots"
                                   + (pages > 1 ? "  page \(p + 1)/\(pages)" : ""))
            for first in stride(from: range.lowerBound, to: range.upperBound, by: Self.batch) {
                let ids = Array(first..<min(range.upperBound, first + Self.batch))
                let windows = try FrameWindow.collect(ids.map { (shots[$0].start + shots[$0].end - 1) / 2 }, of: url, shots: shots,
                                                      options: options, progress: progress)
                for (k, window) in zip(ids, windows) {
                    try layout.draw(window, cell: k - range.lowerBound, on: &page, network: render.network, options: options)
                    progress.advance(to: k + 1)
                }
            }
            try StillImage.writePNG(rgb: page.rgb, width: page.width, height: page.height, to: URL(fileURLWithPath: path), overwrite: overwrite)
        }
        progress.end()
        if paths.count > 1 { progress.note("\(paths.count) pages of \(perPage) shots: \(paths[0]) … \(paths[paths.count - 1])") }
    }

    /// Page `n` (1-based) of `pages`: numbered by the output's pattern, or NAME-001.png after
    /// NAME.png when there is more than one.
    static func page(_ n: Int, of pages: Int, output: String) -> String {
        if ImageSequence.isPattern(output) { return ImageSequence.path(output, number: n) }
        guard pages > 1 else { return output }
        let ext = (output as NSString).pathExtension
        let stem = ext.isEmpty ? output : String(output.dropLast(ext.count + 1))
        return stem + String(format: "-%03d", n) + (ext.isEmpty ? "" : ".\(ext)")
    }
}
