import ArgumentParser
import Foundation
import KinecolorFiles
import KinecolorMedia
import KinecolorModel
import KinecolorMotion
import KinecolorPipeline
import KinecolorShots

/// A value read from one command-line argument. `init(parsing:)` says in one line why a text is
/// refused; options declare `transform: T.init(parsing:)` so that the reason ends the usage error
/// ("The value '5/4' is invalid for '--shard <i/n>': write i/n with …").
protocol ArgumentValue: ExpressibleByArgument {
    init(parsing text: String) throws
}

extension ArgumentValue {
    init?(argument: String) { try? self.init(parsing: argument) }
}

/// `--codec`: argument-parser lists the values in `--help` and in the error for any other word.
extension EncodeOptions.Codec: ExpressibleByArgument {}

/// `--profile`: the DNxHR profiles, listed in `--help` and in the error for any other word.
extension EncodeOptions.DNxHRProfile: ExpressibleByArgument {}

/// `--preset`: libx264's presets, checked when the command line is read; x264 itself would refuse
/// a misspelt one only when the encoder opens, after the analysis pass, and on its own log line.
enum X264Preset: String, CaseIterable, ExpressibleByArgument {
    case ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow, placebo
}

/// `--keyframes auto|N|all`.
struct KeyframeChoice: ArgumentValue, Equatable {
    var policy: KeyframePolicy

    init(parsing text: String) throws {
        guard let p = KeyframePolicy(text.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("write auto, all or a whole number of frames in 1…\(KeyframePolicy.longestInterval)")
        }
        policy = p
    }
}

/// `--shard i/n`: shard i of n, 1-based as Slurm array tasks are usually numbered.
struct Shard: ArgumentValue, Equatable {
    static let maxCount = 10_000
    var index: Int
    var count: Int

    init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], (1...Self.maxCount).contains(n), (1...n).contains(i) else {
            throw ValidationError("write i/n with 1 ≤ i ≤ n ≤ \(Self.maxCount), e.g. 2/4")
        }
        self.init(index: i, count: n)
    }
}

/// `--size N`: the short side of the network input, checked by `SettingError.check`.
struct NetworkShortSide: ArgumentValue, Equatable {
    var value: Int

    init(parsing text: String) throws {
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("not a whole number") }
        do { try SettingError.check(size: n) } catch { throw ValidationError(error.problem) }
        value = n
    }

    /// The sizes accepted, for `--help`: "a multiple of 16 in 16…512".
    static var accepted: String {
        "a multiple of \(NetworkSize.unit) in \(NetworkSize.shortSides.lowerBound)…\(NetworkSize.shortSides.upperBound)"
    }
}

/// `--at TIME`: a position in the film (`Timecode.parsePosition`): a time from its first frame
/// (`HH:MM:SS.mmm`, `MM:SS.s`, seconds) or an SMPTE label (`HH:MM:SS:FF`, drop-frame
/// `HH:MM:SS;FF`) counted at the film's rate, as its EDLs are.
struct FilmTime: ArgumentValue {
    var position: FilmPosition
    /// As the user wrote it, for messages.
    var text: String

    init(parsing text: String) throws {
        position = try Timecode.parsePosition(text)
        self.text = text
    }

    /// The 0-based frame on screen at this position of `analysis`'s film. A position before the
    /// first frame or at or after the end of the last is refused with the film's length, naming
    /// the option as `flag` (`--at`): clamping it to the last frame would show a frame nobody asked for.
    func frame(in analysis: FilmAnalysis, flag: String) throws -> Int {
        try frame(in: FilmTimeline(analysis), flag: flag)
    }

    func frame(in film: FilmTimeline, flag: String) throws -> Int {
        switch position {
        case .seconds(let t):
            guard t >= 0, let i = film.frame(t) else {
                throw CLIError("\(flag) \(text) is before the start of the film (it lasts \(film.length))")
            }
            guard t < film.end else { throw CLIError("\(flag) \(text) is past the end of the film (\(film.length))") }
            return i
        case .smpte(let label):
            let i: Int
            do { i = try label.frame(fps: film.rate) } catch { throw CLIError("\(flag) \(text): \(error)") }
            guard i < film.frameCount else {
                throw CLIError("\(flag) \(text) is past the end of the film (\(film.length); its last frame is \(Timecode.smpte(frame: film.frameCount - 1, fps: film.rate, dropFrame: label.dropFrame)))")
            }
            return i
        }
    }
}

/// What resolving a position needs of a film: its length, the rate SMPTE labels count at, and the
/// frame on screen at a time.
struct FilmTimeline {
    var frameCount: Int
    var rate: Double
    /// When the last frame ends, in seconds from the first frame.
    var end: Double
    let frame: (_ at: Double) -> Int?

    /// Exact: every frame's own time, variable frame rates included.
    init(_ analysis: FilmAnalysis) {
        frameCount = analysis.frameCount
        rate = analysis.video.timecodeRate
        end = Project.endTime(analysis, analysis.frameCount)
        frame = analysis.frame(at:)
    }

    /// A project's film, without decoding it: frames at the stream's constant rate (a variable-rate
    /// film is better addressed by frame numbers).
    init(frameCount: Int, video: VideoStreamInfo) {
        let rate = video.timecodeRate
        self.frameCount = frameCount
        self.rate = rate
        end = Double(frameCount) / rate
        frame = { t in t < 0 ? nil : Int((t * rate + 1e-6).rounded(.down)) }
    }

    /// "00:00:05.280, 132 frames", for errors.
    var length: String { "\(Timecode.format(seconds: end)), \(frameCount) frames" }
}

/// A frame of the film as the user names it: a 1-based frame number as in the shot list, or a
/// position (`FilmTime`). `--reference FRAME=…`, `--from`, `--to`.
enum FilmPoint: ArgumentValue {
    case frame(Int)
    case time(FilmTime)

    init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let n = Int(t) {
            guard Bounds.frameNumber.contains(n) else { throw ValidationError("frame \(n) must be in 1…\(Bounds.frameNumber.upperBound)") }
            self = .frame(n)
        } else {
            guard let time = try? FilmTime(parsing: t) else {
                throw ValidationError("'\(t)' is neither a frame number (1-based) nor a time (62.5, 00:01:02.5 or SMPTE 00:01:02:12)")
            }
            self = .time(time)
        }
    }

    /// The 0-based frame; one outside the film is an error naming `flag` and the film's length.
    func frame(in film: FilmTimeline, flag: String) throws -> Int {
        switch self {
        case .frame(let n):
            guard n <= film.frameCount else { throw CLIError("\(flag) \(n) is past the end of the film (\(film.length))") }
            return n - 1
        case .time(let t):
            return try t.frame(in: film, flag: flag)
        }
    }

    /// As the user wrote it.
    var text: String {
        switch self {
        case .frame(let n): return String(n)
        case .time(let t): return t.text
        }
    }
}

extension VideoStreamInfo {
    /// The rate SMPTE labels count at: in the EDLs `kinecolor shots` writes, in those it imports
    /// and in every label typed on the command line, so that a label it writes reads back to its
    /// frame. 25 when the container does not say (a guess, but the same one everywhere).
    var timecodeRate: Double { frameRate.isKnown ? frameRate.doubleValue : 25 }
}

/// `--reference FRAME=IMAGE`: a color image of one frame, FRAME a 1-based frame number as in the
/// shot list, or a position (`FilmTime`: 00:01:02.5, 62.5, 00:01:02:12).
struct ReferenceArgument: ArgumentValue {
    typealias Position = FilmPoint
    var position: Position
    var path: String

    init(parsing text: String) throws {
        let usage = "write FRAME=IMAGE, FRAME a frame number (1-based) or a time, e.g. 120=frame120.png, 00:00:05.0=frame.png or 00:00:05:12=frame.png"
        guard let eq = text.firstIndex(of: "=") else { throw ValidationError(usage) }
        let left = text[..<eq].trimmingCharacters(in: .whitespaces), right = String(text[text.index(after: eq)...])
        guard !left.isEmpty, !right.isEmpty else { throw ValidationError(usage) }
        if let n = Int(left) {
            guard Bounds.frameNumber.contains(n) else { throw ValidationError("frame \(n) must be in 1…\(Bounds.frameNumber.upperBound)") }
            position = .frame(n)
        } else {
            guard let time = try? FilmTime(parsing: left) else {
                throw ValidationError("'\(left)' is neither a frame number nor a time; \(usage)")
            }
            position = .time(time)
        }
        path = right
    }

    /// The frame (0-based) in `analysis`'s film.
    func frame(in analysis: FilmAnalysis) throws -> Int {
        switch position {
        case .frame(let n):
            guard n <= analysis.frameCount else {
                throw CLIError("--reference \(n)=\(path): frame \(n) is outside the film (it has frames 1…\(analysis.frameCount))")
            }
            return n - 1
        case .time(let t):
            return try t.frame(in: analysis, flag: "--reference")
        }
    }
}

/// `--shots 3,7-9`: shot numbers and ranges, 1-based as in the shot list.
struct ShotNumbers: ArgumentValue, Equatable {
    var ranges: [ClosedRange<Int>]

    init(parsing text: String) throws {
        ranges = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let bounds = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard let a = bounds[0], let b = bounds.count == 2 ? bounds[1] : a, a >= 1, b >= a else {
                throw ValidationError("'\(part)' is not a shot number or range like 7-9")
            }
            ranges.append(a...b)
        }
        guard !ranges.isEmpty else { throw ValidationError("no shots given") }
    }

    /// 0-based shot indices, sorted, without duplicates; refuses shots beyond the project's `count`.
    func indices(count: Int) throws -> [Int] {
        if let beyond = ranges.first(where: { $0.upperBound > count }) {
            throw CLIError("--shots: shot \(beyond.upperBound) does not exist (the project has shots 1…\(count))")
        }
        return Set(ranges.joined()).map { $0 - 1 }.sorted()
    }
}

/// `--grid classes=A,B,… seeds=1,2,…`: the candidates of a contact sheet, one row per class and
/// one column per seed. Either key may be left out (the shot's own class or seed); the words may
/// come as separate arguments or in one.
struct ContactGrid: ArgumentValue, Equatable {
    static let maxCandidates = 64
    var classes: [String]?
    var seeds: [UInt64]?

    init(classes: [String]? = nil, seeds: [UInt64]? = nil) {
        self.classes = classes
        self.seeds = seeds
    }

    init(parsing text: String) throws {
        for word in text.split(separator: " ").map(String.init) {
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw ValidationError("'\(word)' is not classes=A,B,… or seeds=1,2,…")
            }
            let values = parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            switch parts[0] {
            case "classes", "class": classes = values
            case "seeds", "seed":
                seeds = try values.map { v in
                    guard let s = UInt64(v) else { throw ValidationError("seed '\(v)' is not a non-negative integer") }
                    return s
                }
            default: throw ValidationError("unknown key '\(parts[0])' (use classes= and seeds=)")
            }
        }
        try checkCount()
    }

    /// The words of every `--grid` argument together (a later key replaces an earlier one); nil
    /// when there were none.
    static func combined(_ parts: [ContactGrid]) throws -> ContactGrid? {
        guard !parts.isEmpty else { return nil }
        var grid = ContactGrid()
        for part in parts {
            if let c = part.classes { grid.classes = c }
            if let s = part.seeds { grid.seeds = s }
        }
        try grid.checkCount()
        return grid
    }

    private func checkCount() throws {
        let count = (classes?.count ?? 1) * (seeds?.count ?? 1)
        guard count <= Self.maxCandidates else {
            throw ValidationError("--grid: \(count) candidates; at most \(Self.maxCandidates)")
        }
    }
}

/// `model bench --size 256x256,256x448`: network inputs, height × width like the network's H×W.
struct NetworkInputSizes: ArgumentValue {
    var sizes: [(height: Int, width: Int)]

    init(_ sizes: [(height: Int, width: Int)]) { self.sizes = sizes }

    init(parsing text: String) throws {
        sizes = try text.split(separator: ",").map { item in
            let parts = item.lowercased().split(separator: "x", omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, let h = parts[0], let w = parts[1], h > 0, w > 0 else {
                throw ValidationError("'\(item)' is not a size; write HxW, e.g. 256x448")
            }
            if let why = NetworkSize.problem(height: h, width: w) { throw ValidationError(why) }
            return (h, w)
        }
        guard !sizes.isEmpty else { throw ValidationError("no sizes given") }
    }
}

/// `--look SHOT=FROM`: shot SHOT takes its look from shot FROM (both 1-based, as in the shot list).
struct LookArgument: ArgumentValue {
    var shot: Int
    var from: Int

    init(parsing text: String) throws {
        let usage = "write SHOT=FROM, two shot numbers as in the shot list, e.g. 7=3"
        let parts = text.split(separator: "=", omittingEmptySubsequences: false)
        guard parts.count == 2, let shot = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let from = Int(parts[1].trimmingCharacters(in: .whitespaces)) else { throw ValidationError(usage) }
        guard shot >= 1, from >= 1 else { throw ValidationError("shot numbers start at 1; \(usage)") }
        guard shot != from else { throw ValidationError("shot \(shot) cannot take its look from itself") }
        self.shot = shot
        self.from = from
    }
}

/// `--fps RATE`: a frame rate as a whole number (24), a fraction (24000/1001) or a decimal
/// (23.976, 29.97 and 59.94 meaning the NTSC fractions, as editors mean them).
struct FrameRateArgument: ArgumentValue, Equatable {
    static let range: ClosedRange<Double> = 1...1000
    var rate: Rational

    init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces)
        let ntsc: [String: Int32] = ["23.976": 24000, "29.97": 30000, "47.952": 48000, "59.94": 60000, "119.88": 120000]
        let parts = t.split(separator: "/", omittingEmptySubsequences: false)
        if let n = ntsc[t] {
            rate = Rational(n, 1001)
        } else if parts.count == 2, let n = Int32(parts[0]), let d = Int32(parts[1]), d > 0 {
            rate = Rational(n, d)
        } else if let n = Int32(t) {
            rate = Rational(n, 1)
        } else if let x = Double(t), x.isFinite, (x * 1000).rounded() == x * 1000, x < 1_000_000 {
            rate = Rational(Int32((x * 1000).rounded()), 1000)
        } else {
            throw ValidationError("write frames per second: 24, 25, 24000/1001 or 23.976")
        }
        guard Self.range.contains(rate.doubleValue) else {
            throw ValidationError("\(t) frames per second must be in \(Int(Self.range.lowerBound))…\(Int(Self.range.upperBound))")
        }
    }
}
