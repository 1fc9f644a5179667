// KinecolorShots: hard-cut detection on luma (ShotDetector), shot-list export
// (ShotList: PySceneDetect CSV, CMX 3600 EDL, with timecodes from KinecolorFiles).

/// A shot: the half-open range of 0-based frame indices `start..<end`.
public struct Shot: Hashable, Sendable, CustomStringConvertible {
    /// Index of the first frame of the shot.
    public var start: Int
    /// Index one past the last frame of the shot (the next shot's `start`).
    public var end: Int

    public init(start: Int, end: Int) {
        precondition(start >= 0 && start <= end, "a shot needs 0 <= start <= end")
        self.start = start
        self.end = end
    }

    public var range: Range<Int> { start..<end }
    public var count: Int { end - start }

    public var description: String { "\(start)..<\(end)" }
}
