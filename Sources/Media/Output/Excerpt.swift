/// One kept part of an excerpt, in ticks of `timeBase` (the video stream's): input times
/// [start, end) are kept and written `shift` ticks earlier. Integers, because the cuts are
/// frame timestamps and must compare exactly with the copied streams' packet timestamps.
public struct ExcerptPart: Sendable, Equatable {
    public var start: Int64
    public var end: Int64
    public var shift: Int64
    public var timeBase: Rational

    public init(start: Int64, end: Int64, shift: Int64, timeBase: Rational) {
        self.start = start
        self.end = end
        self.shift = shift
        self.timeBase = timeBase
    }
}

/// An excerpt as it applies to one copied stream: its parts re-expressed in the stream's ticks.
struct StreamExcerpt {
    /// Kept ticks [start, end) and the shift, all in the stream's time base.
    private let parts: [(start: Int64, end: Int64, shift: Int64)]

    init(_ parts: [ExcerptPart], timeBase: Rational) {
        // A tick t lies at or after an instant x exactly when t >= ceil(x), and before it exactly
        // when t < ceil(x): rounding both bounds up keeps [start, end) exact whatever the
        // two time bases. The shift is a distance, rounded to the nearest tick.
        self.parts = parts.map { part in
            (start: part.timeBase.rescale(part.start, to: timeBase, rounding: .up),
             end: part.timeBase.rescale(part.end, to: timeBase, rounding: .up),
             shift: part.timeBase.rescale(part.shift, to: timeBase))
        }
    }

    /// How far to move a packet at `time` (its pts, else its dts) in the stream's ticks, or nil
    /// when it lies outside every part and is dropped.
    func shift(forPacketAt time: Int64?) -> Int64? {
        guard let time else { return nil }
        return parts.first { time >= $0.start && time < $0.end }?.shift
    }
}
