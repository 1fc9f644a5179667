import Foundation
import KinecolorMedia
import KinecolorModel
import KinecolorShots

/// What one frame of a film needs of the analysis pass, found around that frame instead of over the
/// whole film: its shot (the detector's own decisions over the stretch around it, `LocalCuts`), and
/// that shot's class estimate and `auto` keyframes, each what `FilmAnalysis.analyze` gives the
/// shot. For `preview` of one frame of a feature: seconds instead of a decode of all of it.
///
/// Only for a film that can be seeked by frame number (`MediaReader.seekableFrameCount`); `around`
/// answers nil for any other, and when a seek or the film's end proves the stated count wrong,
/// and the caller analyses the whole film.
public struct LocalAnalysis: Sendable {
    public let video: VideoStreamInfo
    /// The film's frames, as its container states them and the seeks confirmed.
    public let frameCount: Int
    public let shot: Range<Int>
    /// The shot's class probabilities, when a network with a class head was given.
    public let classProbabilities: [Float]?
    /// The shot's `auto` keyframes, when asked for.
    public let keyframes: [Int]?

    /// - Parameter reach: frames scanned on each side of `index` first (default: 10 seconds); the
    ///   stretch grows fourfold until it holds the whole shot.
    public static func around(_ index: Int, of url: URL, videoStream: Int?, detector options: ShotDetector.Options = .init(),
                              classEstimator network: ChromaNetwork? = nil, keyframesAtSize size: Int? = nil,
                              reach: Int? = nil, progress: (any ProgressObserver)? = nil) throws -> LocalAnalysis? {
        let film = try Film(url: url, videoStream: videoStream)
        guard let count = film.frameCount, (0..<count).contains(index) else { return nil }
        do {
            guard let shot = try findShot(index, in: film, count: count, options: options, reach: reach, progress: progress) else {
                return nil
            }
            var probabilities: [Float]?
            if let network, network.hasClassEstimate {
                probabilities = try classProbabilities(of: shot, in: film, count: count, network: network, progress: progress)
            }
            let keys = try size.map { try keyframes(of: shot, in: film, size: $0, progress: progress) }
            return LocalAnalysis(video: film.video, frameCount: count, shot: shot, classProbabilities: probabilities, keyframes: keys)
        } catch is SeekMiss {
            return nil
        }
    }

    /// The shot around `index`, from stretches of growing length (10 seconds each side first);
    /// nil when the film's end shows that its stated frame count is wrong.
    private static func findShot(_ index: Int, in film: Film, count: Int, options: ShotDetector.Options, reach: Int?,
                                 progress: (any ProgressObserver)?) throws -> Range<Int>? {
        let first = reach ?? max(4 * options.confirmationDelay, Int(10 * film.video.averageFrameRate.doubleValue))
        return try LocalCuts.findShot(containing: index, count: count, options: options, reach: first, feed: { range, detector in
            var pushed = 0
            try film.read([range], progress: progress) { frame in
                frame.y.withUnsafeBufferPointer { y in
                    _ = detector.push(luma: y, width: frame.width, height: frame.height, maxValue: (1 << frame.bitDepth) - 1)
                }
                pushed += 1
            }
            return pushed
        }, endsThere: { try film.endsAfter(count) })
    }

    /// The mean over the shot's sampled frames, as `ClassSampler` samples a pass over the film.
    private static func classProbabilities(of shot: Range<Int>, in film: Film, count: Int, network: ChromaNetwork,
                                           progress: (any ProgressObserver)?) throws -> [Float] {
        let kept = Array(stride(from: 0, to: count, by: ClassSampler.finalStride(frameCount: count)))
        let picks = ClassSampler.picks(kept, for: shot)
        var sampler = ClassSampler(network: network, video: film.video)
        try film.read(picks.sorted().map { $0..<($0 + 1) }, progress: progress) { sampler.keep($0) }
        return try sampler.classify([shot], kept: kept)[0]
    }

    /// A planner starts afresh at a shot's first frame, so the shot's own frames are all it needs.
    private static func keyframes(of shot: Range<Int>, in film: Film, size: Int,
                                  progress: (any ProgressObserver)?) throws -> [Int] {
        var placement = try KeyframePlacement(video: film.video, size: size, shots: [shot])
        try film.read([shot], progress: progress) { try placement.add($0, confirmedCut: nil) }
        return placement.finish(shots: [Shot(start: shot.lowerBound, end: shot.upperBound)])[0]
    }

    /// The film as stretches of frames, each reached by seeking.
    private struct Film {
        let url: URL
        let videoStream: Int?
        let video: VideoStreamInfo
        let frameCount: Int?

        init(url: URL, videoStream: Int?) throws {
            self.url = url
            self.videoStream = videoStream
            let reader = try MediaReader(url: url, videoStream: videoStream)
            defer { reader.close() }
            video = reader.video
            frameCount = reader.seekableFrameCount
        }

        /// Calls `body` with every frame of `stretches` (ascending, apart), in order; stops early at
        /// the film's end. A frame whose number is not the one expected is a `SeekMiss`.
        func read(_ stretches: [Range<Int>], progress: (any ProgressObserver)?, _ body: (VideoFrame) throws -> Void) throws {
            let reader = try MediaReader(url: url, videoStream: videoStream)
            defer { reader.close() }
            var next = 0
            for stretch in stretches where !stretch.isEmpty {
                // Decoding a few frames is cheaper than a seek, which decodes from a keyframe.
                if stretch.lowerBound < next || stretch.lowerBound - next > 12 {
                    try reader.seek(toFrame: stretch.lowerBound)
                    next = stretch.lowerBound
                }
                while next < stretch.upperBound {
                    try stopIfCancelled(progress)
                    guard let frame = try reader.nextFrame() else { return }
                    guard frame.index == next else { throw SeekMiss() }
                    next += 1
                    if stretch.contains(frame.index) { try body(frame) }
                }
            }
        }

        /// Whether the film has no frame after the first `count`.
        func endsAfter(_ count: Int) throws -> Bool {
            let reader = try MediaReader(url: url, videoStream: videoStream)
            defer { reader.close() }
            try reader.seek(toFrame: count - 1)
            guard try reader.nextFrame()?.index == count - 1 else { return false }
            return try reader.nextFrame() == nil
        }
    }
}
