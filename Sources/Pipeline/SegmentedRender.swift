import Foundation
import KinecolorFiles
import KinecolorMedia
import KinecolorModel

/// Renders a project shot by shot into a work folder, so that a crash costs at most the shot in
/// progress, and a big job can be split across machines.
///
/// Each shot becomes one lossless segment (FFV1 in NUT, which keeps the input's time base and every
/// timestamp exactly), named after a checksum of everything that determines its pixels:
/// `shot-0007-<checksum>.nut`. A segment appears only when complete (written to a temporary name and
/// renamed), so its presence means "done with these settings". Rerunning skips every shot whose
/// segment exists; changing one shot's settings changes its checksum, so only that shot is redone.
/// `assemble` encodes each segment alone in the output's codec (closed GOP: a fresh encoder per
/// shot), keeps that too (`shot-0007-…-<encoding>.packets`), and joins the encoded shots in
/// order by stream copy with the original audio. After an edit, only the edited shot is
/// colorized and encoded again; the join of a feature takes seconds. The result depends only on
/// the segments and the machine that encodes them, so it is the same whether the lossless
/// segments came from one machine or many.
public struct SegmentedRender {
    public let project: Project
    public let network: ChromaNetwork
    public let workDirectory: URL
    public let shots: [ShotSettings]
    /// Names this project's segments apart from those of other projects sharing the work folder
    /// (the input's fingerprint and the project file's name), so that cleaning up after one
    /// render never deletes another project's segments. Shards of one project share it.
    let scope: String

    /// `projectDirectory`: where the project file is (its relative reference paths start there).
    public init(project: Project, network: ChromaNetwork, workDirectory: URL, projectName: String = "",
                projectDirectory: URL? = nil) throws {
        self.project = project
        self.network = network
        self.workDirectory = workDirectory
        shots = try Looks.resolve(try project.shotSettings(network: network, directory: projectDirectory),
                                  in: URL(fileURLWithPath: project.input.path), videoStream: project.input.videoStream,
                                  network: network, options: project.options)
        scope = String(SHA256.hex(of: Data((project.input.fingerprint + "|" + projectName).utf8)).prefix(8))
    }

    var input: URL { URL(fileURLWithPath: project.input.path) }

    /// What determines shot `k`'s pixels: the input, the model, the shot's frames and settings.
    /// It names the shot's segment; the review page names its pictures of the shot by it too.
    public func checksum(_ k: Int) -> String { checksum(of: shots[k]) }

    /// The checksum `shot` would have: a variant of one of the shots (another class or seed).
    public func checksum(of s: ShotSettings) -> String {
        let d = project.defaults
        // 2: keyframes, and smoothing along the motion. 3: references and palette (each image's content),
        // z from the seed alone, carried frames not smoothed again.
        let keys = s.keyframes.map { $0.map(String.init).joined(separator: ",") } ?? "all"
        let references = s.references.map { "\($0.frame):\($0.image.sha256)" }.joined(separator: ",")
            + "|palette:" + (s.palette?.sha256 ?? "none")
            // Only when there is one, so that the segments of shots that borrow nothing stay valid.
            + (s.borrowed.map { b in "|borrowed:\(b.frame):" + b.references.map { "\($0.frame):\($0.image.sha256)" }.joined(separator: ",") } ?? "")
        let text = ["kinecolor-segment-3", project.input.fingerprint, network.checksum ?? network.name,
                    "\(s.start)-\(s.end)", "\(s.classIndex)", "\(s.seed)", "\(s.zStd)", "\(s.skip)",
                    "\(d.smooth)", "\(d.size)", "\(d.saturation ?? 1)", "\(project.input.videoStream ?? -1)",
                    keys, references].joined(separator: "|")
        return String(SHA256.hex(of: Data(text.utf8)).prefix(16))
    }

    func segmentURL(_ k: Int) -> URL {
        workDirectory.appendingPathComponent(String(format: "shot-%04d-", k + 1) + scope + "-" + checksum(k) + ".nut")
    }

    /// Shot `k` encoded for the film `output` with `encode`: named after its lossless segment
    /// and everything else that determines its bytes (settings, container, encoder build, and
    /// the encoder's thread count, which x264's output depends on).
    func encodedURL(_ k: Int, output: URL, encode: EncodeOptions) -> URL {
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let text = ["kinecolor-packets-1", "\(encode)", output.pathExtension.lowercased(), "threads \(threads)",
                    MediaProbe.libraryVersions].joined(separator: "|")
        let key = String(SHA256.hex(of: Data(text.utf8)).prefix(8))
        let lossless = segmentURL(k).deletingPathExtension().lastPathComponent
        return workDirectory.appendingPathComponent(lossless + "-" + key + ".packets")
    }

    /// Shot indices of shard `index` of `count` (1-based index): shots are dealt, longest first, to the
    /// shard with the fewest frames so far (ties to the lower shard), so shards are balanced by frame
    /// count and every machine computes the same split.
    public static func shard(_ shots: [ShotSettings], index: Int, count: Int) -> [Int] {
        var load = [Int](repeating: 0, count: count)
        var owner = [Int](repeating: 0, count: shots.count)
        let order = shots.indices.sorted { (shots[$0].count, -$0) > (shots[$1].count, -$1) }
        for k in order {
            let target = load.indices.min { (load[$0], $0) < (load[$1], $1) }!
            owner[k] = target
            load[target] += shots[k].count
        }
        return shots.indices.filter { owner[$0] == index - 1 }
    }

    public func shardShots(index: Int, count: Int) -> [Int] { Self.shard(shots, index: index, count: count) }

    /// Shots (of `subset`, default all) whose segment is missing.
    public func missing(_ subset: [Int]? = nil) -> [Int] {
        (subset ?? Array(shots.indices)).filter { !FileManager.default.fileExists(atPath: segmentURL($0).path) }
    }

    /// Renders the missing segments among `subset` in one decode pass.
    public func renderSegments(_ subset: [Int]? = nil, progress: (any ProgressObserver)?) throws {
        do {
            try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        } catch {
            throw PipelineError("\(workDirectory.path): cannot create the work folder (\(AtomicFile.reason(error)))")
        }
        let todo = missing(subset)
        guard !todo.isEmpty else { return }
        let reader = try MediaReader(url: input, videoStream: project.input.videoStream)
        defer { reader.close() }
        let sink = SegmentSink(render: self, video: reader.video)
        let renderer = FilmRenderer(network: network, shots: shots, options: project.options)
        try renderer.run(reader, into: sink, only: Set(todo), progress: progress)
    }

    /// Joins the segments, in order, into `output` with the input's audio, subtitles and metadata.
    /// With `only` (shot indices), writes an excerpt of just those shots: they follow each other
    /// without gaps, and the audio of exactly their time spans comes along, moved with them.
    /// With `frames` (0-based, inclusive; `--from`/`--to`), writes just those frames from time 0,
    /// with the audio of their span; only the segments of the shots they touch are needed.
    public func assemble(output: URL, encode: EncodeOptions, overwrite: Bool, only: [Int]? = nil,
                         frames range: ClosedRange<Int>? = nil, progress: (any ProgressObserver)?) throws {
        let selected = range.map { FilmRange.shots(touching: $0, of: shots) } ?? (only ?? Array(shots.indices)).sorted()
        let absent = missing(selected)
        guard absent.isEmpty else {
            let list = absent.prefix(10).map { String($0 + 1) }.joined(separator: ", ")
            throw PipelineError("\(workDirectory.path): \(absent.count) of \(selected.count) shots are not rendered yet (shots \(list)\(absent.count > 10 ? ", …" : "")); render them first")
        }
        let video = try MediaReader(url: input, videoStream: project.input.videoStream).video
        let toSequence = ImageSequence.isPattern(output.path)
        if only == nil && range == nil && !toSequence,
           try joinEncoded(selected, output: output, video: video, encode: encode, overwrite: overwrite, progress: progress) {
            return
        }
        let sink: FrameSink
        var shifts = [Int: Int64]()     // shot → pts shift (time base units) for an excerpt
        let total = range?.count ?? selected.reduce(0) { $0 + shots[$1].count }
        if toSequence {
            sink = SequenceSink(try ImageSequenceWriter(pattern: output.path, video: video, frameCount: total, overwrite: overwrite),
                                frames: nil)
        } else {
            let writer = try MediaWriter(url: output, copyingStreamsFrom: input, video: video, options: encode, overwrite: overwrite)
            sink = writer
            if only != nil {
                let parts = try excerptParts(selected, timeBase: video.timeBase)
                writer.excerpt = parts
                for (k, part) in zip(selected, parts) { shifts[k] = part.shift }
            }
            if let range {
                let part = try rangePart(range, timeBase: video.timeBase)
                writer.excerpt = [part]
                for k in selected { shifts[k] = part.shift }
            }
        }
        var done = false
        defer { if !done { sink.cancel() } }
        progress?.begin(phase: "assembling", total: total)
        var count = 0
        for k in selected {
            let segment = try MediaReader(url: segmentURL(k))
            let from = segment.video.timeBase
            var frames = 0
            while var frame = try segment.nextFrame() {
                try stopIfCancelled(progress)
                frames += 1
                if let range, !range.contains(shots[k].start + frames - 1) { continue }
                // The segment container may store time on a finer grid than the input; back to the input's.
                frame.pts = rescale(frame.pts, from: from, to: video.timeBase) - (shifts[k] ?? 0)
                frame.duration = rescale(frame.duration, from: from, to: video.timeBase)
                try sink.write(frame, shot: k)
                count += 1
                progress?.advance(to: count)
            }
            segment.close()
            guard frames == shots[k].count else {
                throw PipelineError("\(segmentURL(k).lastPathComponent): has \(frames) frames, shot \(k + 1) has \(shots[k].count); delete it and render again")
            }
        }
        try sink.finish()
        done = true
        progress?.end()
    }

    /// `join`, where a shot's encoded file that does not fit (damaged, or cut off by a full disk)
    /// is encoded again from its lossless segment, once. False when one still does not fit (its
    /// encoder reorders more deeply than the film's first shot allows): the caller then encodes
    /// the film in one pass.
    private func joinEncoded(_ selected: [Int], output: URL, video: VideoStreamInfo, encode: EncodeOptions, overwrite: Bool,
                             progress: (any ProgressObserver)?) throws -> Bool {
        var encodedAgain = Set<URL>()
        while true {
            do {
                try join(selected, output: output, video: video, encode: encode, overwrite: overwrite, progress: progress)
                return true
            } catch let mismatch as SegmentMismatch {
                guard !encodedAgain.contains(mismatch.url), (try? FileManager.default.removeItem(at: mismatch.url)) != nil else {
                    progress?.warn("\(mismatch); encoding the whole film instead")
                    return false
                }
                progress?.warn("\(mismatch); encoding that shot again")
                encodedAgain.insert(mismatch.url)
            }
        }
    }

    /// The whole film from its shots encoded one by one: encodes those not encoded yet with these
    /// settings, then joins them all by stream copy.
    private func join(_ selected: [Int], output: URL, video: VideoStreamInfo, encode: EncodeOptions, overwrite: Bool,
                      progress: (any ProgressObserver)?) throws {
        let todo = selected.filter { !FileManager.default.fileExists(atPath: encodedURL($0, output: output, encode: encode).path) }
        if !todo.isEmpty {
            progress?.begin(phase: "encoding shots", total: todo.reduce(0) { $0 + shots[$1].count })
            var count = 0
            for k in todo {
                let segment = try MediaReader(url: segmentURL(k))
                defer { segment.close() }
                let encoded = try EncodedSegmentWriter(url: encodedURL(k, output: output, encode: encode), of: output,
                                                       video: video, options: encode)
                var done = false
                defer { if !done { encoded.cancel() } }
                let from = segment.video.timeBase
                while var frame = try segment.nextFrame() {
                    try stopIfCancelled(progress)
                    frame.pts = rescale(frame.pts, from: from, to: video.timeBase)
                    frame.duration = rescale(frame.duration, from: from, to: video.timeBase)
                    try encoded.write(frame)
                    count += 1
                    progress?.advance(to: count)
                }
                guard encoded.framesWritten == shots[k].count else {
                    throw PipelineError("\(segmentURL(k).lastPathComponent): has \(encoded.framesWritten) frames, shot \(k + 1) has \(shots[k].count); delete it and render again")
                }
                try encoded.finish()
                done = true
            }
            progress?.end()
        }
        let writer = try MediaWriter(url: output, copyingStreamsFrom: input, video: video, options: encode, overwrite: overwrite)
        var done = false
        defer { if !done { writer.cancel() } }
        progress?.begin(phase: "joining", total: selected.reduce(0) { $0 + shots[$1].count })
        for k in selected {
            try stopIfCancelled(progress)
            try writer.append(segmentAt: encodedURL(k, output: output, encode: encode))
            progress?.advance(to: writer.framesWritten)
        }
        try writer.finish()
        done = true
        progress?.end()
    }

    /// For each selected shot, its time span in the input and how far it moves so that the selected
    /// shots follow each other from time 0.
    func excerptParts(_ selected: [Int], timeBase: Rational) throws -> [ExcerptPart] {
        var parts: [ExcerptPart] = []
        var outputPTS: Int64 = 0
        for k in selected {
            let segment = try MediaReader(url: segmentURL(k))
            let from = segment.video.timeBase
            var first: Int64?, end: Int64 = 0
            while let frame = try segment.nextFrame() {
                let pts = rescale(frame.pts, from: from, to: timeBase)
                if first == nil { first = pts }
                end = pts + rescale(frame.duration, from: from, to: timeBase)
            }
            segment.close()
            guard let first else { throw PipelineError("\(segmentURL(k).lastPathComponent): no frames") }
            parts.append(ExcerptPart(start: first, end: end, shift: first - outputPTS, timeBase: timeBase))
            outputPTS += end - first
        }
        return parts
    }

    /// After a successful render or assembly, unless the work is kept for later edits: removes every
    /// segment of this project (and the partial ones a killed render left), then the work folder
    /// itself when nothing else is in it. Another project's segments in a shared folder are left
    /// alone, and so is the folder then. Returns whether the folder is gone.
    @discardableResult
    public func removeWork() -> Bool {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: workDirectory.path)) ?? []
        for name in names where name.contains("shot-") && name.contains("-\(scope)-")
            && (name.hasSuffix(".nut") || name.hasSuffix(".packets")) {
            try? fm.removeItem(at: workDirectory.appendingPathComponent(name))
        }
        guard ((try? fm.contentsOfDirectory(atPath: workDirectory.path)) ?? []).isEmpty else { return false }
        return (try? fm.removeItem(at: workDirectory)) != nil
    }

    /// The input's span of `range`'s frames, moved to time 0: from the first frame's timestamp to
    /// the end of the last, as their segments hold them (exactly the input's).
    func rangePart(_ range: ClosedRange<Int>, timeBase: Rational) throws -> ExcerptPart {
        func frame(_ index: Int) throws -> (pts: Int64, end: Int64) {
            let k = shots.shotIndex(ofFrame: index)!
            let segment = try MediaReader(url: segmentURL(k))
            defer { segment.close() }
            let from = segment.video.timeBase
            while let f = try segment.nextFrame() {
                guard f.index == index - shots[k].start else { continue }
                let pts = rescale(f.pts, from: from, to: timeBase)
                return (pts, pts + rescale(f.duration, from: from, to: timeBase))
            }
            throw PipelineError("\(segmentURL(k).lastPathComponent): frame \(index + 1) is missing; delete it and render again")
        }
        let start = try frame(range.lowerBound).pts, end = try frame(range.upperBound).end
        return ExcerptPart(start: start, end: end, shift: start, timeBase: timeBase)
    }

    /// Removes segments of earlier settings (other checksums) for the shots of this project, and
    /// the encoded shots made from them.
    public func removeStaleSegments() {
        let current = Set(shots.indices.map { segmentURL($0).deletingPathExtension().lastPathComponent })
        let names = (try? FileManager.default.contentsOfDirectory(atPath: workDirectory.path)) ?? []
        for name in names where name.hasPrefix("shot-") && name.contains("-\(scope)-") {
            let base: String
            if name.hasSuffix(".nut") {
                base = String(name.dropLast(4))
            } else if name.hasSuffix(".packets") {
                base = String(name.dropLast(8).split(separator: "-").dropLast().joined(separator: "-"))
            } else {
                continue
            }
            if !current.contains(base) { try? FileManager.default.removeItem(at: workDirectory.appendingPathComponent(name)) }
        }
    }
}

/// Writes each shot's frames to its own segment; a segment is finished (and so renamed into place)
/// as soon as the next shot starts.
final class SegmentSink: FrameSink {
    let render: SegmentedRender
    let video: VideoStreamInfo
    private var current: (shot: Int, writer: MediaWriter)?

    init(render: SegmentedRender, video: VideoStreamInfo) {
        self.render = render
        self.video = video
    }

    func write(_ frame: VideoFrame, shot: Int) throws {
        if current?.shot != shot {
            try finishCurrent()
            let writer = try MediaWriter(url: render.segmentURL(shot), copyingStreamsFrom: nil, video: video,
                                         options: EncodeOptions(codec: .ffv1), overwrite: true)
            current = (shot, writer)
        }
        try current!.writer.write(frame)
    }

    func finish() throws {
        try finishCurrent()
    }

    /// A segment is put in place only with all of its shot's frames: a film that ends early (a
    /// project claiming more frames than the film has) leaves no segment that looks done.
    private func finishCurrent() throws {
        guard let (shot, writer) = current else { return }
        current = nil
        let expected = render.shots[shot].count
        guard writer.framesWritten == expected else {
            writer.cancel()
            throw PipelineError("\(render.input.lastPathComponent): shot \(shot + 1) has \(writer.framesWritten) of its \(expected) frames (the film has fewer frames than the project lists); run `kinecolor plan` again")
        }
        try writer.finish()
    }

    func cancel() {
        current?.writer.cancel()
        current = nil
    }
}

/// A timestamp from one time base to another, rounded to the nearest tick (exact integer arithmetic).
func rescale(_ value: Int64, from a: Rational, to b: Rational) -> Int64 {
    a.rescale(value, to: b)
}
