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
    @Option(help: "Model file (.safetensors), or 'default': the embedded model (the default).")
    var model: String?
    @Option(name: .customLong("class"), help: """
        Class name or index for every shot, or 'auto' (the model's estimate per shot; the \
        default when the model has a class head).
        """)
    var classChoice: String?
    @Option(parsing: .unconditional, help: "Seed for the random code z (one for every shot of the film).") var seed: UInt64 = 0
    @Option(name: .customLong("z-std"), parsing: .unconditional, help: """
        Standard deviation of z: larger, more varied colors (default: the model's own).
        """)
    var zStd: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("""
        Short side of the network input, \(NetworkShortSide.accepted) (default: the model's \
        own; see 'kinecolor model info').
        """, valueName: "n"), transform: NetworkShortSide.init(parsing:))
    var size: NetworkShortSide?
    @Option(parsing: .unconditional, help: "Gain on the invented chroma: 1 as the network gives it, 0 gray (default: the model's own).")
    var saturation: Double?
    @Option(parsing: .unconditional, help: "Threads for the network (default: all cores).") var threads: Int?

    func loadModel() throws -> ColorizationModel {
        let n = threads ?? ProcessInfo.processInfo.activeProcessorCount
        BLASRuntime.setThreads(n)
        Parallelism.threads = n
        EngineMemory.reuseLargeBuffers()
        // "default" names the embedded model where a file would go (a file so named: ./default).
        return try DefaultModel.load(model == "default" ? nil : model)
    }

    func validate() throws {
        try Bounds.check(saturation: saturation, zStd: zStd)
        try Bounds.check(threads, Bounds.threads, "--threads")
    }

    /// The user's choices; size, saturation and z's spread fall back to the model's own defaults.
    /// `temporal` nil: a single picture (no smoothing, no keyframes).
    func colorizeOptions(_ temporal: TemporalOptions?, videoStream: Int?, model: ChromaNetwork) -> ColorizeOptions {
        var o = ColorizeOptions(for: model, classChoice: classChoice, seed: seed, zStd: zStd, smoothing: temporal?.smooth ?? 0,
                                videoStream: videoStream, keyframes: temporal?.policy ?? .all)
        if let size { o.size = size.value }
        if let saturation { o.saturation = saturation }
        return o
    }
}

struct Colorize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Colorize a film: detect shots, colorize each with a fixed class and z, smooth chroma over time, keep luma and audio.",
        discussion: """
        The output keeps the input's luma (Y′) and every audio and subtitle stream,
        packet for packet, with the same frame count and timestamps. The container
        follows the output's extension; a name with a frame number writes an image
        sequence (out_%06d.tif, .dpx or .png, numbered from 1; 16-bit RGB from
        deeper input, 10-bit DPX from 10-bit), without the audio.
        Examples:
          kinecolor colorize film.mkv -o film-color.mkv
          kinecolor colorize -i reel1.mov -o reel1-color.mov --codec prores \\
            --class street --seed 7
          kinecolor colorize film.mkv -o film-color.mkv --reference 120=f120.png
          kinecolor colorize film.mkv -o part.mkv --from 00:10:00 --to 00:12:00
          kinecolor colorize scan_%06d.dpx --fps 24 -o color/scan_%06d.dpx
        """)

    @OptionGroup var input: InputOptions<FilmInput>
    @OptionGroup var sequence: SequenceRateOption
    @Option(name: .shortAndLong, help: "Output film, its extension picks the container; or an image sequence, out_%06d.tif (.dpx, .png).") var output: String
    @OptionGroup var color: ColorOptions
    @OptionGroup var temporal: TemporalOptions
    @OptionGroup var reference: ReferenceOptions
    @OptionGroup var range: RangeOptions
    @OptionGroup var encoding: EncodingOptions
    @Option(name: .customLong("video-stream"), parsing: .unconditional, help: "Index of the video stream to colorize (default: the first).")
    var videoStream: Int?
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
        let url = URL(fileURLWithPath: inputFile)
        let encode = encoding.options
        // Fail before the long passes if the container cannot hold a stream, the codec is missing, …
        let toSequence = ImageSequence.isPattern(output)
        let notes = toSequence
            ? try ImageSequenceWriter.check(pattern: output, input: url, videoStream: videoStream, overwrite: overwrite)
            : try MediaWriter.check(url: URL(fileURLWithPath: output), copyingStreamsFrom: url, videoStream: videoStream,
                                    options: encode, overwrite: overwrite)
        let images = try reference.images(), palette = try reference.paletteImage()
        let model = try color.loadModel()
        var options = color.colorizeOptions(temporal, videoStream: videoStream, model: model)
        let progress = display.progress()
        for line in notes { progress.note("note: \(line)") }
        let analysis = try FilmAnalysis.analyze(url, videoStream: videoStream,
                                                classEstimator: options.wantsAutoClass ? model : nil,
                                                keyframesAtSize: options.keyframes == .auto ? options.size : nil,
                                                cache: .standard, progress: progress)
        let part = try range.frames(in: FilmTimeline(analysis)).map { FilmRange(frames: $0, in: analysis) }
        options.references = try reference.resolve(images, in: analysis)
        options.palette = palette
        options.setups = !reference.noSetups
        options.looks = reference.lookMap
        let shots = try Looks.resolve(try options.shotSettings(for: analysis, network: model), in: url,
                                      videoStream: videoStream, network: model, options: options, progress: progress)
        try ReferenceCheck.run(options.references, in: url, videoStream: videoStream, size: options.size,
                               strict: reference.strict, progress: progress)
        progress.note("\(analysis.frameCount) frames, \(shots.count) shots; model \(model.name)")
        if let part {
            progress.note("frames \(part.frames.lowerBound + 1)–\(part.frames.upperBound + 1) (shots of the film clipped to them: \(part.shots(of: shots).count))")
        }
        try FilmRenderer(network: model, shots: shots, options: options)
            .render(input: url, output: URL(fileURLWithPath: output), encode: encode, overwrite: overwrite, range: part,
                    progress: progress)
        progress.note(toSequence ? "wrote \(part?.frames.count ?? analysis.frameCount) files as \(output)" : "wrote \(output)")
    }
}

struct Shots: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect the shots of a film and list them (optionally as PySceneDetect CSV or CMX 3600 EDL).",
        usage: "kinecolor shots <input> [--csv <csv>] [--edl <edl>] [<options>]")

    @OptionGroup var input: InputOptions<FilmInput>
    @OptionGroup var sequence: SequenceRateOption
    @Option(help: "Write a PySceneDetect-style scene list (CSV).") var csv: String?
    @Option(help: "Write a CMX 3600 edit decision list.") var edl: String?
    @Option(name: .customLong("video-stream"), parsing: .unconditional, help: "Index of the video stream (default: the first).") var videoStream: Int?
    @Option(name: .customLong("min-shot"), parsing: .unconditional, help: "Shortest shot, in frames.") var minShot = 8
    @OptionGroup var replace: OverwriteOption
    @OptionGroup var display: QuietOption

    func validate() throws {
        try Bounds.check(videoStream, Bounds.videoStream, "--video-stream")
        try Bounds.check(minShot, 1...100_000, "--min-shot")
    }

    func run() throws {
        let inputFile = input.path, overwrite = replace.overwrite
        for path in [csv, edl].compactMap({ $0 }) { try Output.checkWritable(path, overwrite: overwrite, inputs: [inputFile]) }
        try Input.checkReadable(inputFile)
        try sequence.apply(to: inputFile)
        let url = URL(fileURLWithPath: inputFile)
        let analysis = try FilmAnalysis.analyze(url, videoStream: videoStream, detector: .init(minShotLength: minShot),
                                                cache: .standard, progress: display.progress())
        let fps = analysis.video.timecodeRate
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
