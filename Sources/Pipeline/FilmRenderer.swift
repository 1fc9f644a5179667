import Foundation
import KinecolorEngine
import KinecolorMedia
import KinecolorTemporal

/// Pass 2: decode → colorize shot by shot → smooth inside each shot → encode with the original
/// audio. Three threads joined by bounded queues: the decoder and the encoder overlap the network,
/// and the queues' capacities bound memory whatever the film's length.
public final class FilmRenderer {
    public let network: ChromaNetwork
    public let shots: [ShotSettings]
    public let options: ColorizeOptions

    public init(network: ChromaNetwork, shots: [ShotSettings], options: ColorizeOptions) {
        self.network = network
        self.shots = shots
        self.options = options
    }

    /// Colorizes `input` into `output`. Frames outside `frames` (when given) are not written:
    /// that renders an excerpt (a subset of shots) with timestamps and audio kept as they are.
    public func render(input: URL, output: URL, encode: EncodeOptions, overwrite: Bool,
                       progress: ProgressReporter? = nil) throws {
        let reader = try MediaReader(url: input, videoStream: options.videoStream)
        defer { reader.close() }
        let colorizer = try FrameColorizer(network: network, video: reader.video, size: options.size)
        let writer = try MediaWriter(url: output, copyingStreamsFrom: input, video: reader.video,
                                     options: encode, overwrite: overwrite)
        var succeeded = false
        defer { if !succeeded { writer.cancel() } }

        let decoded = BoundedQueue<(VideoFrame, Tensor?)>(capacity: 3)
        let colored = BoundedQueue<(VideoFrame, NetworkChroma?)>(capacity: 3)
        let total = shots.last?.end
        progress?.begin(phase: "colorizing", total: total)

        let shotOf = ShotLookup(shots)
        let decoder = StageThread(name: "decode") { [self] in
            defer { decoded.close() }
            while let frame = try reader.nextFrame() {
                let skip = shotOf[frame.index].map { self.shots[$0].skip } ?? true
                guard decoded.push((frame, skip ? nil : colorizer.networkLuma(frame))) else { return }
            }
        }
        let encoder = StageThread(name: "encode") {
            var written = 0
            do {
                while let (frame, chroma) = colored.pop() {
                    try writer.write(chroma.map { colorizer.finish(frame, with: $0) } ?? frame)
                    written += 1
                    progress?.advance(to: written)
                }
            } catch {
                colored.close()
                decoded.close()
                throw error
            }
        }

        do {
            var stage = TemporalSmoother(radius: options.smoothing)
            var waiting: [VideoFrame] = []   // frames whose smoothed chroma is not out yet, in order
            func emit(_ outputs: [NetworkChroma]) throws {
                for chroma in outputs {
                    guard colored.push((waiting.removeFirst(), chroma)) else { throw PipelineError("stopped") }
                }
            }
            var cache: (shot: Int, code: [Float], z: [Float])?
            while let (frame, luma) = decoded.pop() {
                try Cancellation.check()
                guard let k = shotOf[frame.index], let luma else {
                    try emit(stage.flush())
                    guard colored.push((frame, nil)) else { break }
                    continue
                }
                if cache?.shot != k {
                    let s = shots[k]
                    cache = (k, try network.classCode(s.classIndex), s.z(count: network.dimZ))
                }
                let chroma = try colorizer.chroma(luma: luma, classCode: cache!.code, z: cache!.z)
                waiting.append(frame)
                try emit(stage.push(chroma, shot: k))
            }
            try emit(stage.flush())
            colored.close()
        } catch {
            colored.close()
            decoded.close()
            try? decoder.join()
            try? encoder.join()
            throw error
        }
        try decoder.join()
        try encoder.join()
        try writer.finish()
        succeeded = true
        progress?.end()
        for line in reader.warnings { progress?.note("warning: \(line)") }
    }
}

/// Frame index → shot index, for frames that arrive in order.
struct ShotLookup {
    let shots: [ShotSettings]
    init(_ shots: [ShotSettings]) { self.shots = shots }

    subscript(frame: Int) -> Int? {
        // Shots are sorted and contiguous: binary search.
        var lo = 0, hi = shots.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if shots[mid].end <= frame { lo = mid + 1 } else { hi = mid }
        }
        return lo < shots.count && shots[lo].range.contains(frame) ? lo : nil
    }
}
