// Camera setups: the shots of a film that look at the same scene from the same place, as the
// returning angles of a dialogue (A, B, A, B). A restorer paints one shot of a setup and the
// others can borrow its colors; the project file lists each shot's setup.
//
// Each shot gets two looks: coarse luma thumbnails (16 cells wide, normalized for brightness and
// contrast as the detector's are, so a change of exposure between takes does not matter) of a
// frame near its start and one near its end, a few frames in (`inset`) so that the frames at a
// cut's very edge (motion blur, the last frames of a fade) do not decide. Two shots are of one
// setup when some look of one is within `maxDistance` of some look of the other: a returning
// angle usually begins as the last one ended, while actors moved in between. Coarse cells let
// an actor move a little without changing the look; the distance is about 1 − correlation, so
// 0.2 asks for a correlation of about 0.8. Flat looks (black, deep in a fade) match anything
// flat and say nothing about the setup: below `minContrast` a look is not used.
//
// Streaming, like the detector: the looks are taken while the film is decoded, from a few
// recent thumbnails, so memory does not grow with the film's length.

public struct SetupFinder: Sendable {
    /// Looks closer than this (about 1 − correlation) are of one setup.
    public static let maxDistance = 0.2
    /// A look with less contrast (0 flat … 1) says nothing about the setup.
    public static let minContrast = 0.5
    static let cellWidth = 16
    /// How far inside a shot its looks are taken (frames).
    static let inset = 2

    /// The thumbnails of the last `keep` frames pushed, oldest first.
    private var recent: [LumaThumbnail] = []
    private let keep: Int
    /// How many frames after a frame every cut at or before it is known.
    private let lag: Int
    public private(set) var frameCount = 0
    /// Shot starts noted so far, and each shot's looks (first, last), by shot.
    private var starts: [Int] = [0]
    private var looks: [[LumaThumbnail]] = [[]]
    /// The frame the current shot's first look is waiting for, when it has not arrived yet.
    private var firstWanted: Int? = SetupFinder.inset

    /// `delay`: at most how many frames after a shot's start its `cut(at:)` comes
    /// (`ShotDetector.Options.confirmationDelay`; 0 when the shots are known beforehand and each
    /// cut is told right after its first frame is pushed).
    public init(delay: Int) {
        lag = max(delay, 1)
        keep = lag + 2 * Self.inset + 4
    }

    /// Adds the next frame's luma. `rowStride` is in samples.
    package mutating func push(luma: UnsafeBufferPointer<UInt16>, width: Int, height: Int, rowStride: Int? = nil, maxValue: Int) {
        recent.append(LumaThumbnail(luma: luma, width: width, height: height, rowStride: rowStride ?? width,
                                    maxValue: maxValue, minWidth: Self.cellWidth))
        if recent.count > keep { recent.removeFirst() }
        frameCount += 1
        // Only once any cut before the wanted frame would have been told: it may start a shot.
        if let wanted = firstWanted, wanted + lag <= frameCount - 1 { takeFirstLook(at: wanted) }
    }

    /// A shot starts at `start` (after every start noted before, at most `delay` frames ago).
    public mutating func cut(at start: Int) {
        precondition(start > starts.last! && start < frameCount, "cuts come in order, for frames already pushed")
        closeShot(end: start)
        starts.append(start)
        looks.append([])
        firstWanted = start + Self.inset
        if start + Self.inset + lag <= frameCount - 1 { takeFirstLook(at: start + Self.inset) }
    }

    /// Ends the film: `shots` (covering every frame pushed, their starts a superset of the cuts
    /// noted) get their setups, numbered from 0 in order of first appearance.
    public mutating func finish(shots: [Shot]) -> [Int] {
        for shot in shots where shot.start > starts.last! { cut(at: shot.start) }
        closeShot(end: frameCount)
        let byStart = Dictionary(uniqueKeysWithValues: zip(starts, looks))
        return Self.group(shots.map { byStart[$0.start] ?? [] })
    }

    /// Groups shots by their looks: each shot joins the earlier setup with the nearest look
    /// within `maxDistance`, or starts a new one.
    static func group(_ looks: [[LumaThumbnail]]) -> [Int] {
        let usable = looks.map { $0.filter { $0.contrast >= minContrast } }
        var members: [[Int]] = []
        var setup = [Int](repeating: 0, count: looks.count)
        for (k, mine) in usable.enumerated() {
            var best: (setup: Int, distance: Double)?
            for (s, shots) in members.enumerated() {
                for other in shots {
                    for a in mine {
                        for b in usable[other] {
                            let d = a.distance(to: b)
                            if d < maxDistance && d < (best?.distance ?? .infinity) { best = (s, d) }
                        }
                    }
                }
            }
            if let best {
                setup[k] = best.setup
                members[best.setup].append(k)
            } else {
                setup[k] = members.count
                members.append([k])
            }
        }
        return setup
    }

    private func thumbnail(of frame: Int) -> LumaThumbnail? {
        let i = recent.count - frameCount + frame
        return recent.indices.contains(i) ? recent[i] : nil
    }

    private mutating func takeFirstLook(at frame: Int) {
        firstWanted = nil
        if let t = thumbnail(of: frame) { looks[looks.count - 1].append(t) }
    }

    /// The current shot ends before `end`: its last look (and its first, when the shot was too
    /// short to reach the frame the first was waiting for).
    private mutating func closeShot(end: Int) {
        let start = starts.last!
        guard end > start else { return }
        if firstWanted != nil { takeFirstLook(at: min(start + Self.inset, end - 1)) }
        let last = max(start, end - 1 - Self.inset)
        if last > start + Self.inset, let t = thumbnail(of: last) { looks[looks.count - 1].append(t) }
    }
}
