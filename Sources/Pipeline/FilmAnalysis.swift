import Foundation
import KinecolorEngine
import KinecolorMedia
import KinecolorModel
import KinecolorShots

/// Pass 1 over a film: frame count, shots, and, when the network can estimate classes,
/// each shot's class probabilities. Decodes once; keeps only thumbnails, so memory does not grow
/// with the film's length (except for a few class samples of the shot being read).
public struct FilmAnalysis: Sendable {
    public var video: VideoStreamInfo
    public var frameCount: Int
    public var shots: [Shot]
    /// Film time of every frame, in seconds from the first frame (variable frame rate included).
    public var frameTimes: [Double]
    /// Per shot, the class probabilities averaged over up to 5 of its frames (nil without a class head).
    public var classProbabilities: [[Float]]?
    /// Warnings from the decoder (damaged packets and the like).
    public var warnings: [String]
    /// Per shot, the keyframes `--keyframes auto` places (film frame indices), when asked for.
    public var keyframes: [[Int]]?
    /// Per shot, its camera setup (`SetupFinder`: numbered from 0 in order of first appearance).
    public var setups: [Int]

    /// The frame on screen at `seconds`: the last one that starts at or before it.
    public func frame(at seconds: Double) -> Int? {
        guard let first = frameTimes.first, seconds >= first - 1e-9 else { return nil }
        var lo = 0, hi = frameTimes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if frameTimes[mid] <= seconds + 1e-9 { lo = mid + 1 } else { hi = mid }
        }
        return lo - 1
    }

    /// `shots`: a shot list cut in an editor, used instead of detecting the cuts (`plan --shots`).
    public static func analyze(_ url: URL, videoStream: Int? = nil, detector options: ShotDetector.Options = .init(),
                               classEstimator network: ChromaNetwork? = nil, keyframesAtSize size: Int? = nil,
                               shots imported: ImportedShotList? = nil, cache: AnalysisCache? = nil,
                               progress: (any ProgressObserver)? = nil) throws -> FilmAnalysis {
        let reader = try MediaReader(url: url, videoStream: videoStream)
        defer { reader.close() }
        let video = reader.video
        let estimator = network?.hasClassEstimate == true ? network : nil
        let key = imported == nil ? try cache?.key(url, videoStream: videoStream, options: options, network: estimator,
                                                   keyframesAtSize: size) : nil
        if let key, let hit = cache?.load(key, video: video) {
            for line in hit.warnings { progress?.warn(line) }
            return hit
        }
        var detector = ShotDetector(options: options)
        var setups = SetupFinder(delay: options.confirmationDelay)
        var sampler = network.flatMap { $0.hasClassEstimate ? ClassSampler(network: $0, video: video) : nil }
        var placement = try size.map { try KeyframePlacement(video: video, size: $0, detector: options) }
        var count = 0
        var times: [Double] = [], start = 0.0
        progress?.begin(phase: "analysing", total: video.frameCountEstimate)
        while let frame = try reader.nextFrame() {
            try stopIfCancelled(progress)
            let cut = frame.y.withUnsafeBufferPointer { y in
                setups.push(luma: y, width: frame.width, height: frame.height, maxValue: (1 << frame.bitDepth) - 1)
                return imported.map { $0.cut(at: frame.index) }
                    ?? detector.push(luma: y, width: frame.width, height: frame.height, maxValue: (1 << frame.bitDepth) - 1)
            }
            if let cut { setups.cut(at: cut) }
            try placement?.add(frame, confirmedCut: cut)
            sampler?.offer(frame)
            // Film time counts from the first frame, as shot lists, editors and `--at` do, whatever
            // the container's first timestamp (an MPEG-TS often starts at 1.4 s).
            let t = video.seconds(ofPTS: frame.pts)
            if times.isEmpty { start = t }
            times.append(t - start)
            count += 1
            progress?.advance(to: count)
        }
        progress?.end()
        // Damage, a stream that ends early (a truncated file), interlacing: the render pass stops
        // at the last frame counted here and never sees the early end, so say it now.
        for line in reader.warnings { progress?.warn(line) }
        guard count > 0 else { throw PipelineError("\(url.lastPathComponent): no video frames could be decoded") }
        let shots = try imported?.shots(frameCount: count) ?? detector.finish()
        let probabilities = try sampler?.classify(shots.map(\.range))
        let analysis = FilmAnalysis(video: video, frameCount: count, shots: shots, frameTimes: times,
                                    classProbabilities: probabilities, warnings: reader.warnings,
                                    keyframes: placement?.finish(shots: shots), setups: setups.finish(shots: shots))
        if let key { cache?.store(analysis, key: key) }
        return analysis
    }
}

/// Keeps a thinned set of small gray frames so each shot's class can be estimated after the
/// shots are known. Every `stride`-th frame is kept; when more than `limit` are held, every other
/// one is dropped and the stride doubles. The rule depends only on frame indices, so an analysis
/// of the same film always keeps the same frames, and they can be found again without one
/// (`classify(_:of:videoStream:frameCount:network:)`).
struct ClassSampler {
    let network: ChromaNetwork
    let height: Int
    let width: Int
    var stride = 6
    static let limit = 240
    var samples: [(index: Int, gray: Tensor)] = []

    init(network: ChromaNetwork, video: VideoStreamInfo) {
        self.network = network
        // Class estimation does not need the full network size: short side 128.
        let s = NetworkSize.input(height: video.height, width: video.width, shortSide: 128)
        height = s.height
        width = s.width
    }

    mutating func offer(_ frame: VideoFrame) {
        guard frame.index % stride == 0 else { return }
        keep(frame)
        if samples.count > Self.limit {
            stride *= 2
            samples = samples.filter { $0.index % stride == 0 }
        }
    }

    /// Keeps `frame` as a sample, whatever its index.
    mutating func keep(_ frame: VideoFrame) {
        let gray = Tensor(shape: [frame.height, frame.width], data: frame.lumaAsFloat())
        samples.append((frame.index, resizeArea(gray, height: height, width: width)))
    }

    /// The stride `offer` has reached after `frameCount` frames: the smallest of 6, 12, 24, …
    /// that keeps at most `limit` samples.
    static func finalStride(frameCount: Int) -> Int {
        var s = 6
        while (frameCount + s - 1) / s > limit { s *= 2 }
        return s
    }

    /// The sampled frames (of `kept`, in order) whose mean is a shot's probabilities: up to 5
    /// evenly spread inside the shot, or the one nearest its middle when none is inside.
    static func picks(_ kept: [Int], for shot: Range<Int>) -> [Int] {
        var inside = kept.filter { shot.contains($0) }
        if inside.isEmpty {
            let middle = (shot.lowerBound + shot.upperBound) / 2
            inside = [kept.min { abs($0 - middle) < abs($1 - middle) }!]
        }
        return inside.count <= 5 ? inside : (0..<5).map { inside[$0 * (inside.count - 1) / 4] }
    }

    /// Mean class probabilities of each shot's `picks` among `kept` (default: the samples held).
    func classify(_ shots: [Range<Int>], kept: [Int]? = nil) throws -> [[Float]] {
        let position = Dictionary(uniqueKeysWithValues: samples.enumerated().map { ($1.index, $0) })
        var cache: [Int: [Float]] = [:]
        func probabilities(_ i: Int) throws -> [Float] {
            if let p = cache[i] { return p }
            let p = try network.classProbabilities(gray: samples[i].gray) ?? []
            cache[i] = p
            return p
        }
        let kept = kept ?? samples.map(\.index)
        return try shots.map { shot in
            let picks = Self.picks(kept, for: shot)
            var mean = [Float](repeating: 0, count: network.classNames.count)
            for frame in picks {
                guard let i = position[frame] else { throw PipelineError("frame \(frame + 1) was not sampled") }
                for (c, p) in try probabilities(i).enumerated() { mean[c] += p / Float(picks.count) }
            }
            return mean
        }
    }

    /// What an analysis of the whole film (`frameCount` frames) gives `shots`: the same sampled
    /// frames, the same means. Decodes only as far as the last frame it needs.
    static func classify(_ shots: [Range<Int>], of url: URL, videoStream: Int?, frameCount: Int,
                         network: ChromaNetwork, progress: (any ProgressObserver)? = nil) throws -> [[Float]] {
        let kept = Array(Swift.stride(from: 0, to: frameCount, by: finalStride(frameCount: frameCount)))
        let needed = Set(shots.flatMap { picks(kept, for: $0) })
        let reader = try MediaReader(url: url, videoStream: videoStream)
        defer { reader.close() }
        var sampler = ClassSampler(network: network, video: reader.video)
        let last = needed.max() ?? -1
        while let frame = try reader.nextFrame(), frame.index <= last {
            try stopIfCancelled(progress)
            if needed.contains(frame.index) { sampler.keep(frame) }
        }
        return try sampler.classify(shots, kept: kept)
    }
}
