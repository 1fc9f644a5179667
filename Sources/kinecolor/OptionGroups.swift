import ArgumentParser
import Foundation
import KinecolorMedia
import KinecolorMotion
import KinecolorPipeline

/// What a command reads: a film, or a picture.
protocol InputKind {
    static var noun: String { get }
}

enum FilmInput: InputKind { static let noun = "film" }
enum PictureInput: InputKind { static let noun = "picture" }

/// The input, given once: as the positional argument or with `-i` (for scripts that name every
/// file with a flag).
struct InputOptions<Kind: InputKind>: ParsableArguments {
    @Argument(help: ArgumentHelp("Input \(Kind.noun) (any format FFmpeg reads).", valueName: "input"))
    var positional: String?
    @Option(name: .customShort("i"), help: ArgumentHelp("Input \(Kind.noun), instead of the positional argument.", valueName: "input"))
    var flagged: String?

    func validate() throws {
        switch (positional, flagged) {
        case (nil, nil): throw ValidationError("give an input \(Kind.noun) (positional or -i)")
        case (.some, .some): throw ValidationError("give the input once (positional or -i)")
        default: break
        }
    }

    /// The input's path (`validate` made sure there is exactly one).
    var path: String { positional ?? flagged! }
}

/// `-y, --overwrite` and `-n, --no-overwrite`, as ffmpeg's. Without either an existing output is
/// refused as with `-n`; `-n` says so explicitly, for scripts that must never replace a file.
struct OverwriteOption: ParsableArguments {
    @Flag(name: [.customShort("y"), .long], help: "Replace outputs that already exist.") var overwrite = false
    @Flag(name: [.customShort("n"), .customLong("no-overwrite")],
          help: "Never replace an output: an existing one is an error (the default).") var noOverwrite = false

    func validate() throws {
        if overwrite && noOverwrite { throw ValidationError("give -y/--overwrite or -n/--no-overwrite, not both") }
    }
}

/// `-q, --quiet`, and the progress display it turns off.
struct QuietOption: ParsableArguments {
    @Flag(name: .shortAndLong, help: "No progress output.") var quiet = false

    /// A bar on a terminal, lines otherwise, nothing when quiet; stops the work on Ctrl-C.
    func progress() -> TerminalProgress { .automatic(quiet: quiet) }
}

/// How the output film's video is encoded.
struct EncodingOptions: ParsableArguments {
    @Option(help: """
        Video codec: x264, lossless FFV1, ProRes 422 HQ, DNxHR (--profile) or \
        ProRes 4444.
        """) var codec: EncodeOptions.Codec = .h264
    @Option(help: """
        DNxHR profile, default dnxhr_hq (lb, sq, hq: 8-bit 4:2:2; hqx: 10-bit; \
        444: 10-bit 4:4:4).
        """)
    var profile: EncodeOptions.DNxHRProfile?
    @Option(parsing: .unconditional, help: ArgumentHelp("""
        Output bit depth where the codec allows it (h264: 8, 10; ffv1: 8, 10, 16; \
        prores, prores4444: 10). Default: the input's, as the codec can.
        """, valueName: "8|10|16"))
    var depth: Int?
    @Option(parsing: .unconditional, help: "x264 constant rate factor (\(EncodeOptions.crfRange.lowerBound)…\(EncodeOptions.crfRange.upperBound)).")
    var crf = 16
    @Option(help: "x264 preset.") var preset: X264Preset = .medium

    func validate() throws {
        try Bounds.check(crf, EncodeOptions.crfRange, "--crf")
        if let depth, !EncodeOptions.depths.contains(depth) { throw ValidationError("--depth \(depth) must be 8, 10 or 16") }
        if profile != nil && codec != .dnxhr { throw ValidationError("--profile is for --codec dnxhr (not \(codec.rawValue))") }
        if let problem = options.problem { throw ValidationError("--codec \(problem) (--depth)") }
    }

    var options: EncodeOptions {
        EncodeOptions(codec: codec, crf: crf, preset: preset.rawValue, dnxhrProfile: profile ?? .hq, depth: depth)
    }
}

/// `--from`/`--to`: the part of the film to colorize and write, both ends included, as frame
/// numbers or times (`FilmPoint`).
struct RangeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Start at this frame (1-based) or time (62.5, 00:01:02.5, SMPTE \
        00:01:02:12); audio and subtitles are cut to the same part.
        """, valueName: "frame|time"), transform: FilmPoint.init(parsing:))
    var from: FilmPoint?
    @Option(help: ArgumentHelp("End with this frame or time, included (default: the last).",
                               valueName: "frame|time"), transform: FilmPoint.init(parsing:))
    var to: FilmPoint?

    var isSet: Bool { from != nil || to != nil }

    /// The frames (0-based, inclusive); nil without --from and --to. Outside the film, or --from
    /// after --to, is an error naming the film's length.
    func frames(in film: FilmTimeline) throws -> ClosedRange<Int>? {
        guard isSet else { return nil }
        let a = try from?.frame(in: film, flag: "--from") ?? 0
        let b = try to?.frame(in: film, flag: "--to") ?? film.frameCount - 1
        guard a <= b else {
            throw CLIError("--from \(from!.text) (frame \(a + 1)) is after --to \(to!.text) (frame \(b + 1)); the film lasts \(film.length)")
        }
        return a...b
    }
}

/// How color moves through time inside a shot: `--smooth`, `--keyframes`.
struct TemporalOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Temporal smoothing radius in frames inside each shot (0: off).") var smooth = 3
    @Option(parsing: .unconditional, help: ArgumentHelp("""
        Frames the network colorizes: 'auto' (where the motion needs one), every Nth \
        frame of each shot, or 'all'; the others get their color carried along the \
        motion (default: \(TemporalOptions.defaultKeyframes)).
        """, valueName: "auto|N|all"), transform: KeyframeChoice.init(parsing:))
    var keyframes: KeyframeChoice?

    func validate() throws {
        try Bounds.check(smoothing: smooth)
    }

    /// `auto` holds the quality of `all` on the samples at a fraction of the cost (Docs/pipeline.md).
    static let defaultKeyframes = KeyframePolicy.auto

    var policy: KeyframePolicy { keyframes?.policy ?? Self.defaultKeyframes }
}

/// `--reference FRAME=IMAGE` (repeatable) and `--strict`: the restorer's colors for some frames;
/// `--palette IMAGE`: a lighter control, the palette of another picture.
struct ReferenceOptions: ParsableArguments {
    @Option(name: .customLong("reference"), parsing: .unconditionalSingleValue, help: ArgumentHelp("""
        A color image of frame FRAME (1-based, or a time such as 00:01:02.5 or \
        SMPTE 00:01:02:12): its colors are carried through the shot. Repeatable.
        """, valueName: "frame=image"), transform: ReferenceArgument.init(parsing:))
    var references: [ReferenceArgument] = []
    @Flag(help: "Refuse a reference whose luma does not resemble its frame (default: warn).") var strict = false
    @Option(help: ArgumentHelp("""
        A color photo (not a frame of the film) whose palette the network's colors \
        are shifted toward, in every shot without references.
        """, valueName: "image"))
    var palette: String?
    @Flag(help: ArgumentHelp("""
        Give each reference to its shot only, not to the other shots of its \
        camera setup (the returning angles of a dialogue).
        """))
    var noSetups = false
    @Option(name: .customLong("look"), parsing: .unconditionalSingleValue, help: ArgumentHelp("""
        Shift shot SHOT's colors toward shot FROM's (numbers as in the shot \
        list), for scenes that should match. Repeatable.
        """, valueName: "shot=from"), transform: LookArgument.init(parsing:))
    var looks: [LookArgument] = []

    /// `--look` as ColorizeOptions.looks (0-based).
    var lookMap: [Int: Int] {
        Dictionary(looks.map { ($0.shot - 1, $0.from - 1) }, uniquingKeysWith: { $1 })
    }

    /// The palette photo, read and checked before the long passes.
    func paletteImage() throws -> ReferenceImage? {
        guard let palette else { return nil }
        try Input.checkReadable(palette)
        return try ReferenceImage.load(URL(fileURLWithPath: palette), named: palette, role: "palette")
    }

    /// The images, read and checked before the long passes.
    func images() throws -> [ReferenceImage] {
        try references.map { r in
            try Input.checkReadable(r.path)
            return try ReferenceImage.load(URL(fileURLWithPath: r.path), named: r.path)
        }
    }

    /// The references with their frames found in the film.
    func resolve(_ images: [ReferenceImage], in analysis: FilmAnalysis) throws -> [Reference] {
        try zip(references, images).map { r, image in Reference(frame: try r.frame(in: analysis), image: image) }
    }
}

/// Warns about (or with `strict`, refuses) references that do not look like their frames.
enum ReferenceCheck {
    static func run(_ references: [Reference], in url: URL, videoStream: Int?, size: Int, strict: Bool,
                    progress: TerminalProgress) throws {
        guard !references.isEmpty else { return }
        let scores = try Reference.similarities(references, in: url, videoStream: videoStream, size: size, progress: progress)
        for (r, score) in zip(references, scores) where score < Reference.similarityLevel {
            let text = String(format: "reference %@ does not resemble frame %d (luma similarity %.2f, expected at least %.2f); was the right frame painted?",
                              r.image.path, r.frame + 1, score, Reference.similarityLevel)
            if strict { throw CLIError(text) }
            progress.warn(text)
        }
    }
}

/// `--fps`: the rate of an image-sequence input (`frames_%06d.dpx`), which has no clock of its own.
struct SequenceRateOption: ParsableArguments {
    @Option(name: .customLong("fps"), help: ArgumentHelp("""
        Frame rate of an image-sequence input such as frames_%06d.png: 24, \
        24000/1001, 23.976 (default: 25, the image2 demuxer's).
        """, valueName: "rate"), transform: FrameRateArgument.init(parsing:))
    var fps: FrameRateArgument?

    /// Reads `path` at the rate given, when it is a sequence; `--fps` on a film with a clock of
    /// its own is refused rather than silently ignored.
    func apply(to path: String) throws {
        guard ImageSequence.isPattern(path) else {
            if fps != nil { throw CLIError("\(path): --fps applies to image sequences (frames_%06d.png); a film has its own rate") }
            return
        }
        if let fps { ImageSequence.setFrameRate(fps.rate, forPattern: path) }
    }
}
