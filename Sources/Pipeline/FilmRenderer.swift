import Foundation
import KinecolorEngine
import KinecolorMedia
import KinecolorMotion

/// Where rendered frames go: one film (`MediaWriter`), or one segment file per shot.
/// A sink is used by one thread at a time: the encoder stage while it runs, then the caller.
protocol FrameSink: AnyObject {
    /// Frames arrive in presentation order, with the index of their shot.
    func write(_ frame: VideoFrame, shot: Int) throws
    func finish() throws
    func cancel()
}

extension MediaWriter: FrameSink {
    func write(_ frame: VideoFrame, shot: Int) throws { try write(frame) }
}

/// The decoder stage's frames in order. With `only` (some shots of a long film: an edit), where
/// the film can be entered by seeking, the start of each wanted shot that lies far ahead is
/// reached by a seek instead of decoding everything before it. Shots are independent, so their
/// frames come out the same either way.
private struct SeekingFrames {
    var reader: MediaReader
    private var seeking: Bool
    private let starts: [Int]
    private let videoStream: Int?
    private var reopened: MediaReader?
    private var expected = 0

    init(reader: MediaReader, shots: [ShotSettings], only: Set<Int>?, videoStream: Int?) {
        self.reader = reader
        seeking = only != nil && reader.canSeek(frameCount: shots.last?.end ?? 0)
        starts = only.map { set in shots.filter { set.contains($0.index) }.map(\.start).sorted() } ?? []
        self.videoStream = videoStream
    }

    mutating func next() throws -> VideoFrame? {
        while true {
            // A seek decodes from the keyframe before its frame: worth it past a few seconds.
            if seeking, let target = starts.first(where: { $0 >= expected }), target - expected > 100 {
                do {
                    try reader.seek(toFrame: target)
                    expected = target
                } catch is SeekMiss {
                    // Timestamps off the grid: read from the start instead, as without seeking.
                    seeking = false
                    let fresh = try MediaReader(url: reader.url, videoStream: videoStream)
                    reopened = fresh
                    reader = fresh
                }
            }
            guard let frame = try reader.nextFrame() else { return nil }
            if frame.index < expected { continue }
            expected = frame.index + 1
            return frame
        }
    }

    /// Closes the reader this opened after a failed seek (the caller's own is the caller's).
    func close() { reopened?.close() }
}

/// Frames (of `frames` only, when given) as the files of an image sequence.
final class SequenceSink: FrameSink {
    let writer: ImageSequenceWriter
    let frames: ClosedRange<Int>?

    init(_ writer: ImageSequenceWriter, frames: ClosedRange<Int>?) {
        self.writer = writer
        self.frames = frames
    }

    func write(_ frame: VideoFrame, shot: Int) throws {
        if let frames, !frames.contains(frame.index) { return }
        try writer.write(frame)
    }

    func finish() throws { try writer.finish() }
    func cancel() { writer.cancel() }
}

/// Pass 2: decode → motion inside each shot → colorize keyframes and carry their color along the
/// motion → smooth inside each shot → encode with the original audio. Four threads joined by
/// bounded queues: the decoder, the optical flow and the encoder overlap the network, and the
/// queues' capacities (with the longest keyframe interval) bound memory whatever the film's length.
public final class FilmRenderer {
    public let network: ChromaNetwork
    public let shots: [ShotSettings]
    public let options: ColorizeOptions

    public init(network: ChromaNetwork, shots: [ShotSettings], options: ColorizeOptions) {
        self.network = network
        self.shots = shots
        self.options = options
    }

    /// Colorizes `input` into `output`, copying its audio, subtitles, chapters and metadata.
    /// With `range`, only its frames are written, from time 0, with the audio and subtitles of
    /// their span; each frame is colored as in a render of the whole film.
    public func render(input: URL, output: URL, encode: EncodeOptions, overwrite: Bool, range: FilmRange? = nil,
                       progress: (any ProgressObserver)? = nil) throws {
        let reader = try MediaReader(url: input, videoStream: options.videoStream)
        defer { reader.close() }
        if ImageSequence.isPattern(output.path) {
            let sequence = try ImageSequenceWriter(pattern: output.path, video: reader.video,
                                                   frameCount: range?.frames.count ?? shots.last?.end, overwrite: overwrite)
            let sink = SequenceSink(sequence, frames: range?.frames)
            return try run(reader, into: sink, only: nil, windows: range.map { $0.windows(shots, smoothing: options.smoothing) },
                           progress: progress)
        }
        let writer = try MediaWriter(url: output, copyingStreamsFrom: input, video: reader.video,
                                     options: encode, overwrite: overwrite)
        guard let range else { return try run(reader, into: writer, only: nil, progress: progress) }
        try run(reader, into: RangeSink(writer, range: range), only: nil,
                windows: range.windows(shots, smoothing: options.smoothing), progress: progress)
    }

    /// The threaded pipeline. Frames of shots not in `only` (when given) are decoded and dropped;
    /// with `windows`, so are frames outside their shot's window, and shots without one.
    /// With `only`, the film is entered by seeking where it can be (`seeking: false` decodes
    /// everything before, as a film that cannot be seeked is read).
    func run(_ reader: MediaReader, into sink: FrameSink, only: Set<Int>?, windows: [Int: Range<Int>]? = nil,
             seeking: Bool = true, progress: (any ProgressObserver)?) throws {
        let colorizer = try FrameColorizer(video: reader.video, size: options.size, saturation: options.saturation)
        var succeeded = false
        defer { if !succeeded { sink.cancel() } }

        // (frame, shot, network-size gray or nil when the shot is skipped)
        // Three frames between stages keep every thread busy; above HD (25 MB a frame at 4K) one
        // fewer keeps memory down (Docs/benchmarks.md), and the frame conversions dominate anyway.
        let video = reader.video, shots = self.shots
        let depth = video.width * video.height > 1920 * 1088 ? 2 : 3
        let decoded = BoundedQueue<(VideoFrame, Int, Tensor?)>(capacity: depth)
        let moved = BoundedQueue<(VideoFrame, Int, Tensor?, PairMotion?)>(capacity: depth)
        let colored = BoundedQueue<(VideoFrame, Int, NetworkChroma?)>(capacity: depth)
        let wanted = windows.map { $0.values.reduce(0) { $0 + $1.count } }
            ?? only.map { set in shots.filter { set.contains($0.index) }.reduce(0) { $0 + $1.end - $1.start } }
        // Nothing past the last window or shot asked for is needed: the rest is not even decoded.
        let stop = windows.map { $0.values.map(\.upperBound).max() ?? 0 }
            ?? only.map { set in shots.filter { set.contains($0.index) }.map(\.end).max() ?? 0 }
        progress?.begin(phase: "colorizing", total: wanted ?? shots.last?.end)

        let decoderOwns = Handover(reader), encoderOwns = Handover(sink), videoStream = options.videoStream
        let seekTo = seeking && windows == nil ? only : nil
        let decoder = StageThread(name: "decode") {
            defer { decoded.close() }
            var frames = SeekingFrames(reader: decoderOwns.value, shots: shots, only: seekTo, videoStream: videoStream)
            defer { frames.close() }
            while var frame = try frames.next() {
                let reader = frames.reader
                if let stop, frame.index >= stop { break }
                guard let k = shots.shotIndex(ofFrame: frame.index) else {
                    throw PipelineError("\(reader.url.lastPathComponent): frame \(frame.index + 1) is past the last shot (the film has more frames than its shot list)")
                }
                if let only, !only.contains(k) { continue }
                if let windows, windows[k]?.contains(frame.index) != true { continue }
                let luma = shots[k].skip ? nil : colorizer.networkLuma(frame)
                // The input's chroma of a colorized frame is replaced by `finish`: not carried
                // through the queues (a third of every frame in flight, 8 MB each at 4K).
                if luma != nil { frame.u = []; frame.v = [] }
                guard decoded.push((frame, k, luma)) else { return }
            }
        }
        let motion = motionThread(from: decoded, to: moved)
        let encoder = StageThread(name: "encode") {
            let sink = encoderOwns.value
            var written = 0
            do {
                while let (frame, k, chroma) = colored.pop() {
                    try sink.write(chroma.map { colorizer.finish(frame, with: $0) } ?? frame, shot: k)
                    written += 1
                    progress?.advance(to: written)
                }
            } catch {
                colored.close()
                moved.close()
                decoded.close()
                throw error
            }
        }

        do {
            try colorize(moved, into: colored, colorizer: colorizer, progress: progress)
            colored.close()
        } catch {
            colored.close()
            moved.close()
            decoded.close()
            // The first real failure of any stage is the one to report: "No space left on device"
            // from the encoder, not the network stage's "the encoder stopped taking frames".
            let stages = [encoder.joinedError(), motion.joinedError(), decoder.joinedError()].compactMap { $0 }
            throw error is StageStopped ? (stages.first ?? error) : error
        }
        try decoder.join()
        try motion.join()
        try encoder.join()
        try sink.finish()
        succeeded = true
        progress?.end()
        for line in reader.warnings { progress?.warn(line) }
    }

    /// The motion stage: each frame with the flow from the previous frame of its shot.
    private func motionThread(from decoded: BoundedQueue<(VideoFrame, Int, Tensor?)>,
                              to moved: BoundedQueue<(VideoFrame, Int, Tensor?, PairMotion?)>) -> StageThread {
        let shots = self.shots, smoothing = options.smoothing
        return StageThread(name: "motion") {
            defer { moved.close() }
            var stage = MotionStage()
            while let (frame, k, luma) = decoded.pop() {
                let pair = try luma.flatMap {
                    try stage.motion(index: frame.index, shot: k, luma: $0,
                                     wanted: MotionStage.needed(for: shots[k], smoothing: smoothing))
                }
                guard moved.push((frame, k, luma, pair)) else { decoded.close(); return }
            }
        }
    }

    /// The network stage, on the calling thread (`ChromaStream`); frames of skipped shots pass
    /// through as they are.
    private func colorize(_ moved: BoundedQueue<(VideoFrame, Int, Tensor?, PairMotion?)>,
                          into colored: BoundedQueue<(VideoFrame, Int, NetworkChroma?)>, colorizer: FrameColorizer,
                          progress: (any ProgressObserver)?) throws {
        var stream = ChromaStream(network: network, colorizer: colorizer, smoothing: options.smoothing)
        var waiting: [(VideoFrame, Int)] = []   // frames whose chroma is not out yet, in order
        func emit(_ outputs: [NetworkChroma]) throws {
            for chroma in outputs {
                let (frame, k) = waiting.removeFirst()
                guard colored.push((frame, k, chroma)) else { throw StageStopped() }
            }
        }
        while let (frame, k, luma, motion) = moved.pop() {
            try stopIfCancelled(progress)
            guard let luma else {
                try emit(stream.flush())
                guard colored.push((frame, k, nil)) else { throw StageStopped() }
                continue
            }
            waiting.append((frame, k))
            try emit(stream.push(index: frame.index, of: shots[k], luma: luma, motion: motion))
        }
        try emit(stream.flush())
    }
}
