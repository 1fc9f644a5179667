// Streaming hard-cut detector for black-and-white film.
//
// Score of frame i = distance between the normalized thumbnails of frames i-1
// and i (see LumaThumbnail: mostly 1 - correlation, so flicker, grain and fades
// barely move it). Frame i starts a new shot when
//   1. score(i) >= minScore (absolute floor), and
//   2. score(i) / (mean score of the `window` frames on each side + 0.005) >= threshold
//      (adaptive ratio, as PySceneDetect's AdaptiveDetector: camera motion raises
//      every score in the neighbourhood, a cut raises only one), and
//   3. every frame of {i-2, i-1} differs from every frame of {i, i+1} by at least
//      half of score(i): a lone damaged or flash frame differs from both of its
//      neighbours, but its neighbours match each other, so it is not a cut, and
//   4. the shot it closes and the shot it opens both have >= minShotLength frames
//      (earlier cut wins).
// A cut is reported once max(minShotLength, window + 1) frames of the new shot
// have been seen. Memory: window + 3 thumbnails (64-127 cells wide) and 2 * window + 1 scores.
//
// Conditions 1-3 look only at frames i-3 ... i+window, so a detector started at any frame of a
// film (`listingCandidatesFrom`) judges them as a run from the start does; rule 4 needs the cuts
// before, which `LocalCuts` settles from the candidates around a frame (preview of one frame of a
// long film, without decoding it all).

public struct ShotDetector: Sendable {
    public struct Options: Sendable {
        /// Shortest shot, in frames; also the delay before a cut is reported.
        package var minShotLength: Int
        /// How many times a cut's score must exceed its neighbours' mean score.
        public var threshold: Double
        /// Lowest score that can be a cut (scores are about 1 - correlation).
        package var minScore: Double
        /// Neighbour frames on each side used for the adaptive ratio (>= 1).
        public var window: Int

        /// How many frames after a shot's first frame the detector confirms the cut (`push` returns
        /// it): every cut at or before frame n - confirmationDelay is known once frame n is pushed.
        public var confirmationDelay: Int { max(minShotLength, window + 1) }

        public init(minShotLength: Int = 8, threshold: Double = 3, minScore: Double = 0.04, window: Int = 2) {
            self.minShotLength = minShotLength
            self.threshold = threshold
            self.minScore = minScore
            self.window = window
        }
    }

    public let options: Options
    /// Frames pushed so far.
    public private(set) var frameCount = 0

    /// Added to the neighbours' mean so that a perfectly still (or black) run of
    /// frames, whose scores are ~0, does not turn a tiny change into a huge ratio.
    private let ratioFloor = 0.005
    /// Condition 3 above: cross-pair distances must reach this share of the score.
    private let crossShare = 0.5

    /// Thumbnails of the last window + 3 frames, oldest first (frames i-2 ... i+window).
    private var recent: [LumaThumbnail] = []
    /// Scores of the last 2 * window + 1 frames, oldest first; `scores.last` is frame frameCount-1.
    private var scores: [Double] = []
    /// Starts of the confirmed shots after the first one.
    private var cuts: [Int] = []
    /// A cut that passed the tests but waits for minShotLength frames after it.
    private var pendingCut: Int?
    /// Listing mode: the first frame whose conditions 1-3 can be judged; nil when deciding shots.
    private var listingFrom: Int?
    /// Listing mode: every judged frame that meets conditions 1-3, in order.
    package private(set) var candidates: [Int] = []

    public init(options: Options = Options()) {
        precondition(options.window >= 1, "window must be at least 1")
        precondition(options.minShotLength >= 1, "minShotLength must be at least 1")
        self.options = options
    }

    /// Lists candidate cuts (conditions 1-3, not rule 4) from frame `first` of a film on, for a
    /// reader that seeked there: `push` the frames from `first`, then `finishCandidates()` at the
    /// film's end. Frames from `firstJudged` on are judged exactly as a run from the start judges them.
    package init(options: Options = Options(), listingCandidatesFrom first: Int) {
        self.init(options: options)
        frameCount = first
        // A frame's neighbourhood reaches back to the score of frame i - window, which needs frame
        // i - window - 1; from the film's start, frame 1 is judged with what there is, as always.
        listingFrom = first == 0 ? 1 : first + options.window + 1
    }

    /// Listing mode: the first frame judged.
    package var firstJudged: Int? { listingFrom }

    /// Adds the next frame in presentation order. `rowStride` is in samples.
    /// Returns the start index of a shot confirmed by this frame, if any
    /// (that is, a cut found some frames earlier).
    @discardableResult
    package mutating func push(luma: UnsafeBufferPointer<UInt16>, width: Int, height: Int,
                              rowStride: Int? = nil, maxValue: Int) -> Int? {
        add(LumaThumbnail(luma: luma, width: width, height: height,
                          rowStride: rowStride ?? width, maxValue: maxValue))
    }

    /// 8-bit variant of `push(luma:width:height:rowStride:maxValue:)`, max value 255.
    @discardableResult
    package mutating func push(luma: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                              rowStride: Int? = nil) -> Int? {
        add(LumaThumbnail(luma: luma, width: width, height: height,
                          rowStride: rowStride ?? width, maxValue: 255))
    }

    @discardableResult
    public mutating func push(luma: [UInt16], width: Int, height: Int, maxValue: Int) -> Int? {
        luma.withUnsafeBufferPointer { push(luma: $0, width: width, height: height, maxValue: maxValue) }
    }

    /// Ends the stream (call once, after the last push) and returns every shot,
    /// covering 0..<frameCount without gaps or overlaps.
    /// Listing mode: judges the last frames, which never got their full lookahead, as `finish` does.
    package mutating func finishCandidates() {
        guard let from = listingFrom else { return }
        for frame in max(from, frameCount - options.window)..<max(from, frameCount) where passes(frame) {
            candidates.append(frame)
        }
    }

    public mutating func finish() -> [Shot] {
        // The last frames never got their full lookahead: judge them with what there is.
        let firstUnjudged = max(1, frameCount - options.window)
        for frame in firstUnjudged..<max(firstUnjudged, frameCount) {
            consider(frame)
        }
        if let cut = pendingCut, frameCount - cut >= options.minShotLength {
            cuts.append(cut)
        }
        pendingCut = nil
        guard frameCount > 0 else { return [] }
        var shots: [Shot] = []
        var start = 0
        for cut in cuts {
            shots.append(Shot(start: start, end: cut))
            start = cut
        }
        shots.append(Shot(start: start, end: frameCount))
        return shots
    }

    private mutating func add(_ thumb: LumaThumbnail) -> Int? {
        let window = options.window
        if let previous = recent.last {
            scores.append(thumb.distance(to: previous))
            if scores.count > 2 * window + 1 { scores.removeFirst() }
        }
        recent.append(thumb)
        if recent.count > window + 3 { recent.removeFirst() }
        frameCount += 1

        // Frame `frameCount - 1 - window` now has its full neighbourhood.
        let frame = frameCount - 1 - window
        if let from = listingFrom {
            if frame >= from && passes(frame) { candidates.append(frame) }
            return nil
        }
        if frame >= 1 { consider(frame) }

        if let cut = pendingCut, frameCount - cut >= options.minShotLength {
            cuts.append(cut)
            pendingCut = nil
            return cut
        }
        return nil
    }

    /// Decides whether `frame` starts a new shot (conditions 1-4 above).
    private mutating func consider(_ frame: Int) {
        let lastStart = pendingCut ?? cuts.last ?? 0
        guard frame - lastStart >= options.minShotLength, passes(frame) else { return }
        pendingCut = frame
    }

    /// Conditions 1-3 above for `frame`, with the frames pushed so far as its lookahead.
    private func passes(_ frame: Int) -> Bool {
        let newest = frameCount - 1
        let score = self.score(of: frame)
        guard score >= options.minScore else { return false }

        var neighbourSum = 0.0
        var neighbourCount = 0
        for other in max(1, frame - options.window)...min(newest, frame + options.window) where other != frame {
            neighbourSum += self.score(of: other)
            neighbourCount += 1
        }
        guard neighbourCount > 0 else { return false }
        let ratio = score / (neighbourSum / Double(neighbourCount) + ratioFloor)
        guard ratio >= options.threshold else { return false }

        for before in (frame - 2)...(frame - 1) where before >= 0 {
            for after in frame...(frame + 1) where after <= newest && !(before == frame - 1 && after == frame) {
                if thumbnail(of: before).distance(to: thumbnail(of: after)) < crossShare * score { return false }
            }
        }
        return true
    }

    private func score(of frame: Int) -> Double {
        scores[scores.count - frameCount + frame]
    }

    private func thumbnail(of frame: Int) -> LumaThumbnail {
        recent[recent.count - frameCount + frame]
    }
}
