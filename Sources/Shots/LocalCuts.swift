/// Rule 4 of `ShotDetector` (every shot has at least `minShotLength` frames; the earlier cut wins)
/// applied to the candidates of one stretch of a film, scanned on its own: the shot around a frame
/// exactly as a detection of the whole film finds it, or nil when the stretch is too short to say.
///
/// A run from the start keeps a candidate when the last cut it kept is `minShotLength` frames back
/// or more. A candidate with no other candidate in the `minShotLength - 1` frames before it is kept
/// whatever came earlier (the last kept cut is a candidate, so it lies further back): from such a
/// candidate, or from the film's first frame, the kept cuts follow by the same rule.
package enum LocalCuts {
    /// The shot around `index` of a film of `count` frames, as a detection of the whole film finds
    /// it: stretches around the frame, `reach` frames each side first and four times more each
    /// time the stretch cannot tell. `feed` pushes the frames of a range into a detector, in order
    /// (a reader seeks to its start), and returns how many it had; `endsThere` says whether the
    /// film has no frame past `count`. nil when the film proves not to have `count` frames.
    package static func findShot(containing index: Int, count: Int, options: ShotDetector.Options, reach: Int,
                                 feed: (Range<Int>, inout ShotDetector) throws -> Int,
                                 endsThere: () throws -> Bool) throws -> Range<Int>? {
        var span = max(1, reach)
        while true {
            let from = max(0, index - span)
            // Past the stretch: the lookahead of its last frames, and the frames that confirm a cut.
            let to = min(count, index + span + 1 + options.confirmationDelay)
            var detector = ShotDetector(options: options, listingCandidatesFrom: from)
            guard try feed(from..<to, &detector) == to - from else { return nil }
            let ended = to == count
            if ended {
                guard try endsThere() else { return nil }
                detector.finishCandidates()
            }
            let end = ended ? count : max(from, to - options.window)
            let judged = min(detector.firstJudged ?? 1, end)..<end
            if let shot = shot(containing: index, candidates: detector.candidates, judged: judged, decoded: to,
                               ended: ended, minShotLength: options.minShotLength) {
                return shot
            }
            if from == 0 && ended { return nil }  // the whole film was judged: cannot happen
            span *= 4
        }
    }

    /// - Parameters:
    ///   - candidates: the candidates (conditions 1-3) among `judged`, ascending.
    ///   - judged: the frames whose candidacy is known; a lower bound of 1 or less is the film's start.
    ///   - decoded: how many frames of the film exist for sure (frames 0..<decoded were read); a cut
    ///     is only kept when `minShotLength` frames follow it, as at the end of a run.
    ///   - ended: whether the film ends after `decoded` frames.
    /// - Returns: the frames of the shot that contains `frame`.
    package static func shot(containing frame: Int, candidates: [Int], judged: Range<Int>, decoded: Int, ended: Bool,
                             minShotLength m: Int) -> Range<Int>? {
        // Kept by a run from the start, given the cut kept before it (`last`): far enough from it,
        // and followed by enough frames (at the film's end a run drops a cut that is too late).
        func kept(_ c: Int, after last: Int) -> Bool { c - last >= m && c + m <= decoded }

        var start: Int
        if judged.lowerBound <= 1 {
            start = 0
        } else {
            let isolated = candidates.filter { c in
                c <= frame && c - (m - 1) >= judged.lowerBound && kept(c, after: 0)
                    && !candidates.contains { $0 < c && $0 > c - m }
            }
            guard let sure = isolated.last else { return nil }
            start = sure
        }
        for c in candidates where c > start && kept(c, after: start) {
            if c > frame { return start..<c }
            start = c
        }
        // No cut after `frame` among the judged frames: the shot ends with the film, or later than
        // this stretch can tell.
        return ended && judged.upperBound >= decoded ? start..<decoded : nil
    }
}
