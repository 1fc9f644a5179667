import ArgumentParser
import Foundation
import KinecolorMedia
import KinecolorModel
import KinecolorPipeline

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect the shots of a film and write an editable project file for `kinecolor render`.",
        discussion: """
        The project (JSON, Docs/project-file.md) lists every shot with its frames, timecodes, class, seed, \
        a skip flag and notes. Edit it — change a shot's class or seed, skip a shot that is already in \
        color, merge or split shots — then render it.
        Example: kinecolor plan film.mkv -o film.kcproj.json --class auto --seed 1
        """)

    @Argument(help: "Input film.") var inputPath: String?
    @Option(name: .customShort("i"), help: ArgumentHelp("Input film (alternative to the positional argument).", valueName: "input")) var input: String?
    @Option(name: .shortAndLong, help: "Project file to write (*.kcproj.json).") var output: String
    @OptionGroup var color: ColorOptions
    @Option(help: "Temporal smoothing radius in frames inside each shot (0: off).") var smooth = 3
    @Option(name: .customLong("video-stream"), help: "Index of the video stream (default: the first).") var videoStream: Int?
    @Flag(name: [.customShort("y"), .long], help: "Replace the project file if it exists.") var overwrite = false
    @Flag(name: .shortAndLong, help: "No progress output.") var quiet = false

    func validate() throws {
        if inputPath == nil && input == nil { throw ValidationError("give an input film (positional or -i)") }
    }

    func run() throws {
        let inputFile = inputPath ?? input!
        try Output.checkWritable(output, overwrite: overwrite, inputs: [inputFile])
        try Input.checkReadable(inputFile)
        let model = try color.loadModel()
        let options = color.colorizeOptions(smoothing: smooth, videoStream: videoStream)
        let url = URL(fileURLWithPath: inputFile).standardizedFileURL
        let analysis = try FilmAnalysis.analyze(url, videoStream: videoStream, classEstimator: options.wantsAutoClass ? model : nil,
                                                progress: .automatic(quiet: quiet))
        let shots = try options.shotSettings(for: analysis, network: model)
        let project = try Project(input: url, videoStream: videoStream, analysis: analysis, shots: shots, options: options,
                                  modelPath: color.model.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, network: model)
        try project.save(to: URL(fileURLWithPath: output), overwrite: overwrite)
        if !quiet { FileHandle.standardError.write(Data("\(shots.count) shots, \(analysis.frameCount) frames → \(output)\n".utf8)) }
    }
}

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a project file: every shot with exactly the class, seed and skip flag it lists.",
        discussion: "Example: kinecolor render film.kcproj.json -o film-color.mkv --codec ffv1")

    @Argument(help: "Project file written by `kinecolor plan`.") var project: String
    @Option(name: .shortAndLong, help: "Output film; its extension picks the container.") var output: String
    @Option(help: "Model file; default: the project's model (checked against its recorded checksum).") var model: String?
    @Option(help: "Threads for the network (default: all cores).") var threads: Int?
    @Option(help: "Video codec: h264 (default), ffv1 (lossless) or prores (ProRes 422 HQ).") var codec: String = "h264"
    @Option(help: "x264 constant rate factor.") var crf = 16
    @Option(help: "x264 preset.") var preset = "medium"
    @Flag(name: [.customShort("y"), .long], help: "Replace the output if it exists.") var overwrite = false
    @Flag(name: .shortAndLong, help: "No progress output.") var quiet = false

    func validate() throws {
        if EncodeOptions.Codec(rawValue: codec) == nil { throw ValidationError("--codec must be h264, ffv1 or prores") }
    }

    func run() throws {
        let plan = try Project.load(URL(fileURLWithPath: project))
        let input = URL(fileURLWithPath: plan.input.path)
        try Input.checkReadable(input.path)
        try Output.checkWritable(output, overwrite: overwrite, inputs: [input.path, project])
        try plan.checkInput(input)
        let encode = EncodeOptions(codec: EncodeOptions.Codec(rawValue: codec)!, crf: crf, preset: preset)
        try MediaWriter.check(url: URL(fileURLWithPath: output), copyingStreamsFrom: input, videoStream: plan.input.videoStream,
                              options: encode, overwrite: overwrite)
        var color = try ColorOptions.parse(threads.map { ["--threads", String($0)] } ?? [])
        color.model = model ?? plan.model.path
        let network = try color.loadModel()
        if model == nil, let recorded = plan.model.sha256, let actual = network.checksum, recorded != actual {
            throw CLIError("\(project): model.sha256 does not match \(plan.model.path ?? "the embedded model") (it changed since the project was planned); pass --model to render with another model")
        }
        let progress = ProgressReporter.automatic(quiet: quiet)
        try FilmRenderer(network: network, shots: try plan.shotSettings(network: network), options: plan.options)
            .render(input: input, output: URL(fileURLWithPath: output), encode: encode, overwrite: overwrite, progress: progress)
        progress.note("wrote \(output)")
    }
}
