import Foundation
import KinecolorModel
import KinecolorEngine
import KinecolorShots
import KinecolorMotion
import KinecolorTemporal

/// How one shot is colorized. The class code and z are fixed for the whole shot.
public struct ShotSettings: Sendable, Equatable {
    public var index: Int
    public var start: Int
    /// One past the last frame.
    public var end: Int
    public var classIndex: Int
    public var seed: UInt64
    public var zStd: Double
    /// Leave the shot as it is (its chroma is copied from the input).
    public var skip: Bool
    /// The frames the network colorizes (film frame indices, sorted, the first is `start`); the
    /// others get their chroma carried from them along the motion. nil: every frame.
    public var keyframes: [Int]?
    /// The restorer's colors for frames of this shot, sorted by frame. When there are any, they
    /// are the shot's keyframes (`keyframes` is not used) and the network only fills in where
    /// their color does not reach.
    public var references: [Reference]
    /// A color photo (not a frame of the film) whose palette the network's colors are shifted
    /// toward (`ChromaMatch.transfer`); not used when the shot has references.
    public var palette: ReferenceImage?
    /// The shot's camera setup (`SetupFinder`; 0-based, the project file's number − 1), when known.
    public var setup: Int?
    /// References of other shots of the same setup, for a shot without its own (`lendReferences`):
    /// the shot's `frameToPaint` gets their colors, carried over by flow from the one that looks
    /// most like it, and acts as the shot's reference.
    public var borrowed: BorrowedReferences?
    /// Another shot (0-based) whose colors this shot's are shifted toward (`Looks`); `Looks.resolve`
    /// turns it into `palette`.
    public var look: Int?

    public init(index: Int, start: Int, end: Int, classIndex: Int, seed: UInt64, zStd: Double, skip: Bool = false,
                keyframes: [Int]? = nil, references: [Reference] = [], palette: ReferenceImage? = nil, setup: Int? = nil,
                look: Int? = nil) {
        self.index = index
        self.start = start
        self.end = end
        self.classIndex = classIndex
        self.seed = seed
        self.zStd = zStd
        self.skip = skip
        self.keyframes = keyframes
        self.references = references.sorted { $0.frame < $1.frame }
        self.palette = palette
        self.setup = setup
        self.look = look
    }

    public var range: Range<Int> { start..<end }
    public var count: Int { end - start }

    /// The frame a restorer should paint for a reference: the keyframe nearest the shot's middle
    /// (color carried from the middle travels least, and a keyframe is where the motion analysis
    /// found the picture changed enough to need one), or the middle frame without keyframes.
    public var frameToPaint: Int {
        let middle = (start + end - 1) / 2
        guard let keys = keyframes, !keys.isEmpty else { return middle }
        return keys.min { abs($0 - middle) < abs($1 - middle) }!
    }

    /// The frames whose color comes from a restorer: its references', or the one that gets the
    /// borrowed references' colors.
    public var referenceFrames: [Int] {
        references.isEmpty ? (borrowed.map { [$0.frame] } ?? []) : references.map(\.frame)
    }

    /// The frames whose decoding frame `index`'s chroma depends on: its smoothing neighbours, and
    /// for each of them the keyframes before and after it (the color they carry).
    func frames(needing index: Int, smoothing: Int) -> Range<Int> {
        let first = Swift.max(start, index - smoothing), last = Swift.min(end - 1, index + smoothing)
        guard !skip else { return first..<(last + 1) }
        let frames = referenceFrames
        if !frames.isEmpty {
            // Forward from the reference before, from any distance; back from the one after only
            // within KeyframePropagation's reach.
            let before = frames.last { $0 <= first } ?? first
            let after = frames.first { $0 >= last && $0 - last <= KeyframePropagation.referenceReachBack } ?? last
            return before..<(after + 1)
        }
        guard let keys = keyframes else { return first..<(last + 1) }
        let before = keys.last { $0 <= first } ?? start
        let after = keys.first { $0 >= last } ?? last
        return before..<(after + 1)
    }

    /// The shot's z: normal with std `zStd`, from the portable generator seeded by the seed alone
    /// (the same z on every machine). One code for every shot with the film's seed, so the same
    /// content with the same class gets the same colors in every shot, and splitting or merging
    /// shots recolors no other shot; a shot with a seed of its own gets that seed's z.
    public func z(count: Int) -> [Float] {
        var rng = PortableRandom(seed: seed, stream: 0)
        return rng.normals(count, std: zStd)
    }
}

/// The references a shot borrows from the other shots of its camera setup.
public struct BorrowedReferences: Sendable, Equatable {
    /// The shot's frame that gets their colors (its `frameToPaint`).
    public let frame: Int
    /// Every reference of the setup's other shots, by frame.
    public let references: [Reference]
}

extension Array where Element == ShotSettings {
    /// Lends each shot without references of its own the references of the other shots of its
    /// setup (`borrowed`); a skipped shot neither lends nor borrows.
    mutating func lendReferences() {
        var bySetup: [Int: [Reference]] = [:]
        for shot in self where !shot.skip {
            if let setup = shot.setup { bySetup[setup, default: []] += shot.references }
        }
        for i in indices where self[i].references.isEmpty && !self[i].skip {
            guard let setup = self[i].setup, let lent = bySetup[setup], !lent.isEmpty else {
                self[i].borrowed = nil
                continue
            }
            self[i].borrowed = BorrowedReferences(frame: self[i].frameToPaint, references: lent.sorted { $0.frame < $1.frame })
        }
    }

    /// The shot holding frame `frame`, or nil when no shot does (before the first, past the last).
    /// The one frame-to-shot lookup: shots are sorted and do not overlap, so a binary search.
    func shotIndex(ofFrame frame: Int) -> Int? {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid].end <= frame { lo = mid + 1 } else { hi = mid }
        }
        return lo < count && self[lo].range.contains(frame) ? lo : nil
    }
}

/// The user's choices that apply to every shot unless a shot says otherwise.
public struct ColorizeOptions: Sendable {
    /// A class name or index, "auto" (the model's own estimate per shot), or nil: auto when the
    /// model can estimate classes.
    public var classChoice: String?
    public var seed: UInt64 = 0
    public var zStd: Double = 0.8
    /// Temporal smoothing radius in frames (0: off).
    public var smoothing: Int = 3
    /// Short side of the network input.
    public var size: Int = 256
    /// Gain on the network's a/b (1: as the network gives them).
    public var saturation: Double = 1
    public var videoStream: Int?
    /// Which frames of each shot the network colorizes (the others are carried along the motion).
    /// `all` here, since `auto` needs an analysis that placed them (`keyframesAtSize`); the
    /// command line's default is `auto`.
    public var keyframes: KeyframePolicy = .all
    /// The restorer's colors for frames of the film (each goes to the shot holding its frame).
    public var references: [Reference] = []
    /// A color photo whose palette every shot's network colors are shifted toward.
    public var palette: ReferenceImage?
    /// Whether a shot without references borrows those of another shot of its camera setup.
    public var setups = true
    /// Shots (0-based) that take their look from another shot (`Looks`): shot → the other.
    public var looks: [Int: Int] = [:]

    /// Stream indices a user or a project may name.
    public static let videoStreamRange: ClosedRange<Int> = 0...1023

    /// Throws for the first setting out of its range (`SettingError.check`).
    public func validate() throws(SettingError) {
        try SettingError.check(size: size, saturation: saturation, zStd: zStd, smoothing: smoothing)
    }

    public init(classChoice: String? = nil, seed: UInt64 = 0, zStd: Double = 0.8, smoothing: Int = 3, size: Int = 256,
                saturation: Double = 1, videoStream: Int? = nil, keyframes: KeyframePolicy = .all) {
        self.classChoice = classChoice
        self.seed = seed
        self.zStd = zStd
        self.smoothing = smoothing
        self.size = size
        self.saturation = saturation
        self.videoStream = videoStream
        self.keyframes = keyframes
    }

    /// Options with the network's own defaults for size, saturation and spread of z
    /// (`InferenceDefaults`) where the caller gives none.
    public init(for network: ChromaNetwork, classChoice: String? = nil, seed: UInt64 = 0, zStd: Double? = nil,
                smoothing: Int = 3, videoStream: Int? = nil, keyframes: KeyframePolicy = .all) {
        self.init(classChoice: classChoice, seed: seed, zStd: zStd ?? network.inference.zStd, smoothing: smoothing,
                  size: network.inference.size,
                  saturation: network.inference.saturation, videoStream: videoStream, keyframes: keyframes)
    }

    /// Whether the analysis has to estimate classes.
    public var wantsAutoClass: Bool { classChoice == nil || classChoice?.lowercased() == "auto" }

    /// One `ShotSettings` per detected shot.
    public func shotSettings(for analysis: FilmAnalysis, network: ChromaNetwork) throws -> [ShotSettings] {
        let fixed = try fixedClass(network: network, estimated: analysis.classProbabilities != nil,
                                   keyframesPlaced: analysis.keyframes != nil)
        try references.checkDistinctFrames()
        if let outside = references.first(where: { !(0..<analysis.frameCount).contains($0.frame) }) {
            throw PipelineError("reference for frame \(outside.frame + 1): outside the film (it has frames 1…\(analysis.frameCount))")
        }
        for r in references { try r.image.check(against: analysis.video) }
        for (shot, other) in looks.sorted(by: { $0.key < $1.key }) {
            try Looks.check(shot: shot, from: other, count: analysis.shots.count)
        }
        var shots: [ShotSettings] = analysis.shots.enumerated().map { k, shot in
            let auto = analysis.classProbabilities.map { p in network.autoClass(p[k]) } ?? 0
            let keys = keyframes == .all ? nil : (keyframes.fixed(shot.range) ?? analysis.keyframes?[k])
            return ShotSettings(index: k, start: shot.start, end: shot.end, classIndex: fixed ?? auto,
                                seed: seed, zStd: zStd, keyframes: keys,
                                references: references.filter { shot.range.contains($0.frame) }, palette: palette,
                                setup: setups ? analysis.setups[k] : nil, look: looks[k])
        }
        shots.lendReferences()
        return shots
    }
}

extension ColorizeOptions {
    /// The one shot of a `LocalAnalysis`, set as `shotSettings(for:network:)` sets each shot of a
    /// whole film's analysis. Without references, palette or looks: those reach across shots, and
    /// a preview that uses them analyses the whole film.
    public func shotSettings(for local: LocalAnalysis, network: ChromaNetwork) throws -> ShotSettings {
        let fixed = try fixedClass(network: network, estimated: local.classProbabilities != nil,
                                   keyframesPlaced: local.keyframes != nil)
        let auto = local.classProbabilities.map { network.autoClass($0) } ?? 0
        let keys = keyframes == .all ? nil : (keyframes.fixed(local.shot) ?? local.keyframes)
        return ShotSettings(index: 0, start: local.shot.lowerBound, end: local.shot.upperBound, classIndex: fixed ?? auto,
                            seed: seed, zStd: zStd, keyframes: keys)
    }

    /// The class the options name for every shot (nil: each shot its estimate, which the analysis
    /// must then have made), after checking that `auto` keyframes were placed if asked for.
    private func fixedClass(network: ChromaNetwork, estimated: Bool, keyframesPlaced: Bool) throws -> Int? {
        var fixed: Int?
        if let choice = classChoice, choice.lowercased() != "auto" {
            fixed = try network.classIndex(choice)
        } else if !estimated {
            throw ClassNeeded(model: network.name)
        }
        if keyframes == .auto && !keyframesPlaced {
            throw PipelineError("keyframes 'auto' need an analysis that placed them")
        }
        return fixed
    }
}

/// The options leave each shot's class to the model's estimate ("auto", or no class given), and
/// the model has no class head: the caller has to name a class.
public struct ClassNeeded: Error, Equatable, Sendable, CustomStringConvertible {
    /// The model's name.
    public let model: String
    public init(model: String) { self.model = model }
    public var description: String { "model '\(model)' cannot estimate classes; name a class" }
}
