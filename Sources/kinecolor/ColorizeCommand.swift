import ArgumentParser
import Foundation
import KinecolorEngine
import KinecolorFiles
import KinecolorMedia
import KinecolorModel
import KinecolorPipeline
import KinecolorShots

/// Options shared by every command that colorizes.
struct ColorOptions: ParsableArguments {
    @Option(help: "Model file (.safetensors). Default: the embedded model.") var model: String?
    @Option(name: .customLong("class"), help: "Class name or index for every shot, or 'auto' (the model's estimate per shot; the default when the model has a class head).")
    var classChoice: String?
    @Option(parsing: .unconditional, help: "Seed for the per-shot random code z (shot k uses seed and k).") var seed: UInt64 = 0
    @Option(name: .customLong("z-std"), parsing: .unconditional, help: "Standard deviation of z (larger: more varied colors).") var zStd = 0.8
    @Option(parsing: .unconditional, help: "Short side of the network input, a multiple of 16 (default: the model's own; see 'kinecolor model info').")
    var size: Int?
    @Option(parsing: .unconditional, help: "Gain on the invented chroma: 1 as the network gives it, 0 gray (default: the model's own).")
    var saturation: Double?
    @Option(parsing: .unconditional, help: "Threads for the network (default: all cores).") var threads: Int?

    func loadModel() throws -> ColorizationModel {
        let n = threads ?? ProcessInfo.processInfo.activeProcessorCount
        BLASRuntime.setThreads(n)
        Parallelism.threads = n
        EngineMemory.reuseLargeBuffers()
        return try DefaultModel.load(model)
    }

    func validate() throws {
        if let size, let why = NetworkSize.problem(shortSide: size) { throw ValidationError("--size \(why)") }
        try Bounds.check(saturation, InferenceDefaults.saturationRange, "--saturation")
        try Bounds.check(zStd, ColorizeOptions.zStdRange, "--z-std")
        try Bounds.check(threads, Bounds.threads, "--threads")
    }

    /// The user's choices; size and saturation fall back to the model's own defaults.
    func colorizeOptions(smoothing: Int, videoStream: Int?, model: ChromaNetwork) -> ColorizeOptions {
        var o = ColorizeOptions(for: model, classChoice: classChoice, seed: seed, zStd: zStd, smoothing: smoothing,
                                videoStream: videoStream)
        if let size { o.size = size }
        if let saturation { o.saturation = saturation }
        return o
    }
}

struct Colorize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Colorize a film: detect shots, colorize each with a fixed class and z, smooth chroma over time, keep luma and audio.",
        discussion: """
        The output keeps the input's luma (Y′) and every audio and subtitle stream, packet for packet, \
        with the same frame count and timestamps. The container follows the output's extension.
        Examples:
          kinecolor colorize film.mkv -o film-color.mkv
          kinecolor colorize -i reel1.mov -o reel1-color.mov --codec prores --class street --seed 7
        """)

    @Argument(help: "Input film (any format libavformat opens).") var inputPath: String?
    @Option(name: .customShort("i"), help: ArgumentHelp("Input film (alternative to the positional argument).", valueName: "input")) var input: String?
    @Option(name: .shortAndLong, help: "Output file; its extension picks the container.") var output: String
    @OptionGroup var color: ColorOptions
    @Option(parsing: .unconditional, help: "Temporal smoothing radius in frames inside each shot (0: off).") var smooth = 3
    @OptionGroup var encoding: EncodingOptions
    @Option(name: .customLong("video-stream"), parsing: .unconditional, help: "Index of the video stream to colorize (default: the first).") var videoStream: Int?
    @Flag(name: [.customShort("y"), .long], help: "Replace the output if it exists.") var overwrite = false
    @Flag(name: .shortAndLong, help: "No progress output.") var quiet = false

    func validate() throws {
        if inputPath == nil && input == nil { throw ValidationError("give an input film (positional or -i)") }
        if inputPath != nil && input != nil { throw ValidationError("give the input once (positional or -i)") }
        try Bounds.check(smooth, ColorizeOptions.smoothingRange, "--smooth")
        try Bounds.check(videoStream, Bounds.videoStream, "--video-stream")
    }

    func run() throws {
        let inputFile = inputPath ?? input!
        try Output.checkWritable(output, overwrite: overwrite, inputs: [inputFile])
        try Input.checkReadable(inputFile)
        let url = URL(fileURLWithPath: inputFile)
        let encode = try encoding.options()
        // Fail before the long passes if the container cannot hold a stream, the codec is missing, …
        let notes = try MediaWriter.check(url: URL(fileURLWithPath: output), copyingStreamsFrom: url, videoStream: videoStream,
                                          options: encode, overwrite: overwrite)
        let model = try color.loadModel()
        let options = color.colorizeOptions(smoothing: smooth, videoStream: videoStream, model: model)
        let progress = ProgressReporter.automatic(quiet: quiet)
        for line in notes { progress.note("note: \(line)") }
        let analysis = try FilmAnalysis.analyze(url, videoStream: videoStream,
                                                classEstimator: options.wantsAutoClass ? model : nil, progress: progress)
        let shots = try options.shotSettings(for: analysis, network: model)
        progress.note("\(analysis.frameCount) frames, \(shots.count) shots; model \(model.name)")
        try FilmRenderer(network: model, shots: shots, options: options)
            .render(input: url, output: URL(fileURLWithPath: output), encode: encode, overwrite: overwrite, progress: progress)
        progress.note("wrote \(output)")
    }
}

struct Shots: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect the shots of a film and list them (optionally as PySceneDetect CSV or CMX 3600 EDL).")

    @Argument(help: "Input film.") var inputPath: String?
    @Option(name: .customShort("i"), help: ArgumentHelp("Input film (alternative to the positional argument).", valueName: "input")) var input: String?
    @Option(help: "Write a PySceneDetect-style scene list (CSV).") var csv: String?
    @Option(help: "Write a CMX 3600 edit decision list.") var edl: String?
    @Option(name: .customLong("video-stream"), parsing: .unconditional, help: "Index of the video stream (default: the first).") var videoStream: Int?
    @Option(name: .customLong("min-shot"), parsing: .unconditional, help: "Shortest shot, in frames.") var minShot = 8
    @Flag(name: [.customShort("y"), .long], help: "Replace the CSV/EDL files if they exist.") var overwrite = false
    @Flag(name: .shortAndLong, help: "No progress output.") var quiet = false

    func validate() throws {
        if inputPath == nil && input == nil { throw ValidationError("give an input film (positional or -i)") }
        try Bounds.check(videoStream, Bounds.videoStream, "--video-stream")
        try Bounds.check(minShot, 1...100_000, "--min-shot")
    }

    func run() throws {
        let inputFile = inputPath ?? input!
        for path in [csv, edl].compactMap({ $0 }) { try Output.checkWritable(path, overwrite: overwrite, inputs: [inputFile]) }
        try Input.checkReadable(inputFile)
        let url = URL(fileURLWithPath: inputFile)
        let analysis = try FilmAnalysis.analyze(url, videoStream: videoStream, detector: .init(minShotLength: minShot),
                                                progress: .automatic(quiet: quiet))
        let fps = analysis.video.frameRate.isKnown ? analysis.video.frameRate.doubleValue : 25
        let list = ShotList(shots: analysis.shots, fps: fps)
        for (k, shot) in analysis.shots.enumerated() {
            let a = Timecode.format(seconds: Double(shot.start) / fps), b = Timecode.format(seconds: Double(shot.end) / fps)
            print(String(format: "%4d  frames %6d–%-6d  %@ – %@  (%d frames)", k + 1, shot.start + 1, shot.end, a, b, shot.count))
        }
        if let csv { try AtomicFile.write(Data(list.csv().utf8), to: URL(fileURLWithPath: csv), overwrite: overwrite) }
        if let edl {
            let text = list.edl(title: url.deletingPathExtension().lastPathComponent, clipName: url.lastPathComponent)
            try AtomicFile.write(Data(text.utf8), to: URL(fileURLWithPath: edl), overwrite: overwrite)
        }
    }
}
