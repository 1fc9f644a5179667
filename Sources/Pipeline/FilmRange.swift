import Foundation
import KinecolorMedia

/// A part of a film to colorize and write (`--from`/`--to`): its frames, both ends included, with
/// the shots of the whole film clipped to it.
public struct FilmRange: Sendable, Equatable {
    /// 0-based, inclusive.
    public var frames: ClosedRange<Int>
    /// From the start of the first frame to the end of the last, in seconds: the span of the input
    /// whose audio and subtitles come along.
    public var seconds: Double

    public init(frames: ClosedRange<Int>, seconds: Double) {
        self.frames = frames
        self.seconds = seconds
    }

    /// `frames` of `analysis`'s film, with their span from its frame times.
    public init(frames: ClosedRange<Int>, in analysis: FilmAnalysis) {
        self.init(frames: frames, seconds: Project.endTime(analysis, frames.upperBound + 1) - analysis.frameTimes[frames.lowerBound])
    }

    /// The shots (indices) the range touches.
    public func shots(of shots: [ShotSettings]) -> [Int] { Self.shots(touching: frames, of: shots) }

    public static func shots(touching frames: ClosedRange<Int>, of shots: [ShotSettings]) -> [Int] {
        shots.indices.filter { shots[$0].start <= frames.upperBound && shots[$0].end > frames.lowerBound }
    }

    /// Per shot the range touches, the frames the pipeline must see for the range's frames to come
    /// out as in a render of the whole film: those `FrameWindow` (previews) decodes for the first
    /// and last of them, and everything between (a frame's window moves forward with it). A shot cut
    /// by `--from` thus starts at the keyframe (or reference) its first kept frame is carried from,
    /// and one cut by `--to` ends after the keyframe its last kept frame needs.
    func windows(_ shots: [ShotSettings], smoothing: Int) -> [Int: Range<Int>] {
        var out: [Int: Range<Int>] = [:]
        for k in self.shots(of: shots) {
            let s = shots[k]
            let first = s.frames(needing: max(frames.lowerBound, s.start), smoothing: smoothing)
            let last = s.frames(needing: min(frames.upperBound, s.end - 1), smoothing: smoothing)
            out[k] = min(first.lowerBound, last.lowerBound)..<max(first.upperBound, last.upperBound)
        }
        return out
    }
}

/// Writes only the range's frames, moved so that the first starts at 0, with the audio and
/// subtitles of the same span moved with them (`MediaWriter.excerpt`).
final class RangeSink: FrameSink {
    let writer: MediaWriter
    let range: FilmRange
    private var shift: Int64?

    init(_ writer: MediaWriter, range: FilmRange) {
        self.writer = writer
        self.range = range
    }

    func write(_ frame: VideoFrame, shot: Int) throws {
        guard range.frames.contains(frame.index) else { return }
        if shift == nil {
            // The excerpt must be known before the first packet is copied, which happens only when
            // the first frame is written. Its end is the first frame's timestamp plus the span:
            // the span is a difference of two frame times, exact to far below a tick once rounded.
            let timeBase = writer.video.timeBase
            let ticks = Int64((range.seconds / timeBase.doubleValue).rounded())
            writer.excerpt = [ExcerptPart(start: frame.pts, end: frame.pts + ticks, shift: frame.pts, timeBase: timeBase)]
            shift = frame.pts
        }
        var moved = frame
        moved.pts -= shift!
        try writer.write(moved)
    }

    func finish() throws { try writer.finish() }
    func cancel() { writer.cancel() }
}
