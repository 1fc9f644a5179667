import ArgumentParser
import Foundation
import KinecolorMedia
import KinecolorPipeline
import KinecolorShots

struct Image: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Colorize a photo (PNG, JPEG, …) exactly as a video frame would be, keeping its luma.",
        discussion: "Example: kinecolor image portrait.png -o portrait-color.png --class portrait --seed 3")

    @Argument(help: "Input picture.") var inputPath: String?
    @Option(name: .customShort("i"), help: ArgumentHelp("Input picture (alternative to the positional argument).", valueName: "input")) var input: String?
    @Option(name: .shortAndLong, help: "Output PNG.") var output: String
    @OptionGroup var color: ColorOptions
    @Flag(name: [.customShort("y"), .long], help: "Replace the output if it exists.") var overwrite = false

    func validate() throws {
        if inputPath == nil && input == nil { throw ValidationError("give an input picture (positional or -i)") }
    }

    func run() throws {
        let inputFile = inputPath ?? input!
        try Output.checkWritable(output, overwrite: overwrite, inputs: [inputFile])
        try Input.checkReadable(inputFile)
        let model = try color.loadModel()
        let frame = try Stills.colorize(URL(fileURLWithPath: inputFile), network: model,
                                        options: color.colorizeOptions(smoothing: 0, videoStream: nil))
        try StillImage.writePNG(frame, matrix: .bt601, to: URL(fileURLWithPath: output), overwrite: overwrite)
    }
}

struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render one frame of a film exactly as `colorize` would, to check colors before a long render.",
        discussion: """
        Uses the same shot detection, class, z and smoothing as `colorize` with the same options.
        With --grid, writes a labelled contact sheet of candidates instead: one row per class, one
        column per seed, so you can pick the colors for that shot.
        Examples:
          kinecolor preview film.mkv --at 00:01:02.5 -o frame.png
          kinecolor preview film.mkv --frame 1500 -o frame.png --class street --seed 4
          kinecolor preview film.mkv --at 62.5 --grid classes=auto,portrait,street seeds=1,2,3 -o sheet.png
        """)

    @Argument(help: "Input film.") var inputPath: String?
    @Option(name: .customShort("i"), help: ArgumentHelp("Input film (alternative to the positional argument).", valueName: "input")) var input: String?
    @Option(help: "Time of the frame: HH:MM:SS.mmm, MM:SS or seconds.") var at: String?
    @Option(help: "Frame number (1-based, as in the shot list).") var frame: Int?
    @Option(name: .shortAndLong, help: "Output PNG.") var output: String
    @OptionGroup var color: ColorOptions
    @Option(help: "Temporal smoothing radius, as given to colorize.") var smooth = 3
    @Option(parsing: .upToNextOption, help: "Contact sheet of candidates: classes=A,B,… seeds=1,2,… (either may be omitted).")
    var grid: [String] = []
    @Option(name: .customLong("video-stream"), help: "Index of the video stream (default: the first).") var videoStream: Int?
    @Flag(name: [.customShort("y"), .long], help: "Replace the output if it exists.") var overwrite = false
    @Flag(name: .shortAndLong, help: "No progress output.") var quiet = false

    func validate() throws {
        if inputPath == nil && input == nil { throw ValidationError("give an input film (positional or -i)") }
        if (at == nil) == (frame == nil) { throw ValidationError("give exactly one of --at TIME and --frame N") }
        if let frame, frame < 1 { throw ValidationError("--frame counts from 1") }
    }

    func run() throws {
        let inputFile = inputPath ?? input!
        try Output.checkWritable(output, overwrite: overwrite, inputs: [inputFile])
        try Input.checkReadable(inputFile)
        let seconds = try at.map { try Timecode.parse($0) }
        let model = try color.loadModel()
        let options = color.colorizeOptions(smoothing: smooth, videoStream: videoStream)
        let url = URL(fileURLWithPath: inputFile)
        let analysis = try FilmAnalysis.analyze(url, videoStream: videoStream, classEstimator: options.wantsAutoClass ? model : nil,
                                                progress: .automatic(quiet: quiet))
        let index: Int
        if let seconds {
            guard let i = analysis.frame(at: seconds), seconds <= (analysis.frameTimes.last ?? 0) + 10 else {
                throw CLIError("\(at!) is outside the film (\(Timecode.format(seconds: analysis.frameTimes.first ?? 0)) – \(Timecode.format(seconds: analysis.frameTimes.last ?? 0)))")
            }
            index = i
        } else {
            index = frame! - 1
        }
        let gridSpec = grid.isEmpty ? nil : try ContactSheet.parseGrid(grid)
        var gridOptions = options
        if gridSpec?.classes != nil && options.classChoice == nil && !model.hasClassEstimate {
            gridOptions.classChoice = gridSpec!.classes!.first   // the sheet names its classes; the shot's own is not needed
        }
        let shots = try gridOptions.shotSettings(for: analysis, network: model)
        let window = try FrameWindow(index, of: url, analysis: analysis, shots: shots, options: options)
        if let gridSpec {
            let k = shots.firstIndex { $0.range.contains(index) }!
            let autoClass = analysis.classProbabilities.map { p in p[k].indices.max { p[k][$0] < p[k][$1] }! }
            let title = "\(url.lastPathComponent)  frame \(index + 1)  \(Timecode.format(seconds: analysis.frameTimes[index]))  shot \(k + 1)"
            let sheet = try ContactSheet.render(window: window, classes: gridSpec.classes, seeds: gridSpec.seeds, autoClass: autoClass,
                                                network: model, options: options, title: title)
            try StillImage.writePNG(rgb: sheet.rgb, width: sheet.width, height: sheet.height, to: URL(fileURLWithPath: output), overwrite: overwrite)
            return
        }
        let picture = try window.render(shot: window.shot, network: model, options: options)
        try StillImage.writePNG(picture, matrix: Stills.matrix(for: analysis.video), to: URL(fileURLWithPath: output), overwrite: overwrite)
        if !quiet {
            let k = shots.firstIndex { $0.range.contains(index) }!
            FileHandle.standardError.write(Data("frame \(index + 1), shot \(k + 1) (frames \(shots[k].start + 1)–\(shots[k].end)), class \(model.classNames[shots[k].classIndex]), seed \(shots[k].seed)\n".utf8))
        }
    }
}
