import Foundation
import KinecolorEngine
import KinecolorMedia
import KinecolorMotion
import KinecolorShots

/// `--keyframes auto` during the analysis pass: the motion between neighbouring frames at half
/// the network size (a decision about where the network looks needs less detail than carrying
/// color does, and the flow costs a quarter), and a `KeyframePlanner` per shot. The shot detector confirms a cut some frames
/// after it (`ShotDetector.confirmationDelay`), so frames are planned that many frames late, when
/// it is known whether they start a shot; only their motion waits, a few MB.
struct KeyframePlacement {
    private let colorizer: FrameColorizer
    private let delay: Int
    private var motion = MotionStage()
    private var planner = KeyframePlanner()
    /// Frames seen but not planned yet, oldest first, with the motion from the frame before.
    private var pending: [(index: Int, motion: PairMotion?)] = []
    private var cuts: Set<Int> = []
    private(set) var keyframes: [Int] = []

    /// The short side the motion is measured at for a network short side of `size`.
    static func workingSize(_ size: Int) -> Int { max(16, size / 32 * 16) }

    init(video: VideoStreamInfo, size: Int, detector: ShotDetector.Options) throws {
        colorizer = try FrameColorizer(video: video, size: Self.workingSize(size))
        delay = detector.confirmationDelay
    }

    /// For shots already known (a project's, or the one `LocalAnalysis` found): no delay.
    init(video: VideoStreamInfo, size: Int, shots: [Range<Int>]) throws {
        colorizer = try FrameColorizer(video: video, size: Self.workingSize(size))
        delay = 0
        cuts = Set(shots.map(\.lowerBound))
    }

    /// `auto` keyframes for the shots of a project, in one decode pass over the film.
    static func place(in url: URL, videoStream: Int?, shots: [Shot], size: Int,
                      progress: (any ProgressObserver)?) throws -> [[Int]] {
        let reader = try MediaReader(url: url, videoStream: videoStream)
        defer { reader.close() }
        var placement = try KeyframePlacement(video: reader.video, size: size, shots: shots.map(\.range))
        let total = shots.last?.end ?? 0
        progress?.begin(phase: "placing keyframes", total: total)
        while let frame = try reader.nextFrame(), frame.index < total {
            try stopIfCancelled(progress)
            try placement.add(frame, confirmedCut: nil)
            progress?.advance(to: frame.index + 1)
        }
        progress?.end()
        return placement.finish(shots: shots)
    }

    /// The next frame; `cut`: a shot start the detector confirmed with it.
    mutating func add(_ frame: VideoFrame, confirmedCut cut: Int?) throws {
        if let cut { cuts.insert(cut) }
        // Shot 0 is one shot to the motion stage: a pair across a cut is computed but never used.
        pending.append((frame.index, try motion.motion(index: frame.index, shot: 0, luma: colorizer.networkLuma(frame))))
        while let first = pending.first, first.index + delay < frame.index + 1 {
            plan(pending.removeFirst())
        }
    }

    /// The keyframes of each shot, once the film has ended and every cut is known.
    mutating func finish(shots: [Shot]) -> [[Int]] {
        cuts = Set(shots.map(\.start))
        while !pending.isEmpty { plan(pending.removeFirst()) }
        var k = 0
        var perShot = [[Int]](repeating: [], count: shots.count)
        for key in keyframes {
            while !shots[k].range.contains(key) { k += 1 }
            perShot[k].append(key)
        }
        return perShot
    }

    private mutating func plan(_ frame: (index: Int, motion: PairMotion?)) {
        let starts = frame.index == 0 || cuts.contains(frame.index)
        if planner.place(motion: starts ? nil : frame.motion) { keyframes.append(frame.index) }
    }
}
