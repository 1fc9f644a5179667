import Foundation
import KinecolorEngine
import KinecolorMedia
import KinecolorModel

/// Single pictures: a photo, or one frame of a film exactly as `colorize` renders it.
public enum Stills {
    /// Colorizes a still image as the first shot of a film would be: class from the options (or the
    /// model's estimate), z from the seed. The result keeps the input's luma and has full-
    /// resolution chroma, BT.601 full range (JPEG's convention), ready for `StillImage.writePNG`.
    /// Reports its steps (decoding, colorizing, adding the chroma) to `progress` as steps 1–3 of
    /// `steps`: the caller's own (writing the picture) follow.
    public static func colorize(_ url: URL, network: ChromaNetwork, options: ColorizeOptions,
                                progress: (any ProgressObserver)? = nil, steps: Int = 3) throws -> VideoFrame {
        progress?.step("decoding \(url.lastPathComponent)", 1, of: steps)
        let reader = try MediaReader(url: url)
        defer { reader.close() }
        guard var frame = try reader.nextFrame() else { throw PipelineError("\(url.lastPathComponent): no picture could be decoded") }
        // The chroma is all invented (`finish` fills it at the picture's full size): none is kept.
        frame.chroma = .yuv444
        frame.u = []
        frame.v = []
        let colorizer = try FrameColorizer(video: reader.video, size: options.size,
                                           saturation: options.saturation, matrix: .bt601)
        try stopIfCancelled(progress)
        progress?.step("colorizing", 2, of: steps)
        let classIndex: Int
        if options.wantsAutoClass {
            var sampler = ClassSampler(network: network, video: reader.video)
            guard network.hasClassEstimate else { throw ClassNeeded(model: network.name) }
            sampler.offer(frame)
            let p = try sampler.classify([0..<1])[0]
            classIndex = network.autoClass(p)
        } else {
            classIndex = try network.classIndex(options.classChoice!)
        }
        let shot = ShotSettings(index: 0, start: 0, end: 1, classIndex: classIndex, seed: options.seed, zStd: options.zStd)
        let chroma = try colorizer.chroma(luma: colorizer.networkLuma(frame), network: network,
                                          classCode: network.classCode(classIndex), z: shot.z(count: network.dimZ))
        try stopIfCancelled(progress)
        progress?.step("adding the chroma at \(frame.width)×\(frame.height)", 3, of: steps)
        return colorizer.finish(frame, with: chroma)
    }

    /// Frame `index` of a film as `FilmRenderer` produces it before encoding: same shot, same class
    /// and z, same temporal smoothing (the frame's neighbours inside its shot are colorized too).
    public static func renderFrame(_ index: Int, of url: URL, shots: [ShotSettings],
                                   network: ChromaNetwork, options: ColorizeOptions) throws -> VideoFrame {
        let window = try FrameWindow(index, of: url, shots: shots, options: options)
        return try window.render(shot: window.shot, network: network, options: options)
    }
}

/// A frame and its smoothing neighbours inside its shot, decoded once so that several candidate
/// colorizations (contact sheets) can be rendered from them.
public struct FrameWindow {
    public let index: Int
    public let shot: ShotSettings
    public let video: VideoStreamInfo
    let frames: [VideoFrame]
    let center: Int

    public init(_ index: Int, of url: URL, shots: [ShotSettings], options: ColorizeOptions, frameCount: Int? = nil,
                progress: (any ProgressObserver)? = nil) throws {
        self = try FrameWindow.collect([index], of: url, shots: shots, options: options, frameCount: frameCount,
                                       progress: progress)[0]
    }

    init(index: Int, shot: ShotSettings, video: VideoStreamInfo, frames: [VideoFrame], center: Int) {
        self.index = index
        self.shot = shot
        self.video = video
        self.frames = frames
        self.center = center
    }

    /// The windows of several frames in one decode pass (a sheet of every shot would otherwise decode
    /// the film once per shot).
    /// `progress` is only asked whether to stop. `frameCount`: the film's, when `shots` do not
    /// reach its end (one shot of `LocalAnalysis`).
    public static func collect(_ indices: [Int], of url: URL, shots: [ShotSettings], options: ColorizeOptions,
                               frameCount: Int? = nil, progress: (any ProgressObserver)? = nil) throws -> [FrameWindow] {
        let owners: [Int] = try indices.map { index in
            guard let k = shots.shotIndex(ofFrame: index) else {
                throw PipelineError("frame \(index + 1) is outside the film (it has \(shots.last?.end ?? 0) frames)")
            }
            return k
        }
        let ranges = zip(indices, owners).map { index, k in shots[k].frames(needing: index, smoothing: options.smoothing) }
        var frames = [[VideoFrame]](repeating: [], count: indices.count)
        // Seeking from one needed stretch to the next where the stream allows it exactly; a stream
        // whose timestamps prove irregular is read again from the start.
        var reader = try MediaReader(url: url, videoStream: options.videoStream)
        defer { reader.close() }
        do {
            try read(ranges, from: reader, into: &frames, seeking: reader.canSeek(frameCount: frameCount ?? shots.last?.end ?? 0),
                     progress: progress)
        } catch is SeekMiss {
            reader.close()
            reader = try MediaReader(url: url, videoStream: options.videoStream)
            frames = [[VideoFrame]](repeating: [], count: indices.count)
            try read(ranges, from: reader, into: &frames, seeking: false, progress: progress)
        }
        return try indices.enumerated().map { i, index in
            guard let center = frames[i].firstIndex(where: { $0.index == index }) else {
                throw PipelineError("\(url.lastPathComponent): frame \(index + 1) could not be decoded")
            }
            return FrameWindow(index: index, shot: shots[owners[i]], video: reader.video, frames: frames[i], center: center)
        }
    }

    /// Reads the frames of `ranges` (each window's), in order, into `frames`. With `seeking`, a
    /// stretch more than two seconds past the frame read last is reached by seeking.
    private static func read(_ ranges: [Range<Int>], from reader: MediaReader, into frames: inout [[VideoFrame]],
                             seeking: Bool, progress: (any ProgressObserver)?) throws {
        let gap = max(48, Int(2 * reader.video.averageFrameRate.doubleValue))
        var next = 0    // the frame `nextFrame()` returns next
        for stretch in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if seeking && stretch.lowerBound - next > gap {
                try reader.seek(toFrame: stretch.lowerBound)
                next = stretch.lowerBound
            }
            while next < stretch.upperBound, let frame = try reader.nextFrame() {
                try stopIfCancelled(progress)
                next = frame.index + 1
                for (i, r) in ranges.enumerated() where r.contains(frame.index) { frames[i].append(frame) }
            }
        }
    }

    /// The center frame colorized with `shot`'s class and z (normally `self.shot`; a contact sheet
    /// passes variations), with its keyframes and smoothing exactly as a render does (the same
    /// `MotionStage` and `ChromaStream` over the frames it depends on).
    public func render(shot: ShotSettings, network: ChromaNetwork, options: ColorizeOptions) throws -> VideoFrame {
        if shot.skip { return frames[center] }
        let colorizer = try FrameColorizer(video: video, size: options.size, saturation: options.saturation)
        var motion = MotionStage()
        var stream = ChromaStream(network: network, colorizer: colorizer, smoothing: options.smoothing)
        var chroma: [NetworkChroma] = []
        for frame in frames {
            let luma = colorizer.networkLuma(frame)
            let pair = try motion.motion(index: frame.index, shot: shot.index, luma: luma,
                                         wanted: MotionStage.needed(for: shot, smoothing: options.smoothing))
            chroma += try stream.push(index: frame.index, of: shot, luma: luma, motion: pair)
        }
        chroma += try stream.flush()
        return colorizer.finish(frames[center], with: chroma[center])
    }
}
