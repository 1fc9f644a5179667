/// One kept part of an excerpt, in ticks of `timeBase` (the video stream's): input times
/// [start, end) are kept and written `shift` ticks earlier.
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

/// An excerpt as it applies to one copied stream, whose packets count ticks of `timeBase`.
struct StreamExcerpt {
    let parts: [ExcerptPart]
    let timeBase: Rational

    init(_ parts: [ExcerptPart], timeBase: Rational) {
        self.parts = parts
        self.timeBase = timeBase
    }

    /// How far to move a packet at `time` (its pts, else its dts) in the stream's ticks, or nil
    /// when it lies outside every part and is dropped.
    func shift(forPacketAt time: Int64?) -> Int64? {
        let tb = timeBase
        let seconds = time.map { Double($0) * Double(tb.numerator) / Double(tb.denominator) } ?? -Double.infinity
        func inSeconds(_ ticks: Int64, _ part: ExcerptPart) -> Double { Double(ticks) * part.timeBase.doubleValue }
        guard let part = parts.first(where: { seconds >= inSeconds($0.start, $0) - 1e-9 && seconds < inSeconds($0.end, $0) - 1e-9 }) else {
            return nil
        }
        return Int64((inSeconds(part.shift, part) * Double(tb.denominator) / Double(tb.numerator)).rounded())
    }
}
