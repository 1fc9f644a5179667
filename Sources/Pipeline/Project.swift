import Foundation
import KinecolorFiles
import KinecolorModel
import KinecolorMedia
import KinecolorShots
import KinecolorMotion

/// A film's shot list and colorization settings, as a human-editable JSON file (`*.kcproj.json`):
/// `kinecolor plan` writes it, the user edits classes, seeds, skips and shot boundaries, and
/// `kinecolor render` renders exactly what it says. Schema: Docs/project-file.md.
public struct Project: Codable, Equatable, Sendable {
    /// Version 2 added keyframes (`defaults.keyframes`, `shots[].keyframes`); version 1 files are
    /// read as every frame a keyframe, which is how they were rendered. Version 3 added
    /// `shots[].references` and `shots[].palette`, and z became one code for the film (from the
    /// seed alone). Version 4 added `shots[].setup` and `shots[].look`.
    public static let currentVersion = 4
    static let readableVersions = 1...4
    /// A week of film at 120 fps: far beyond any real film, small enough that no count overflows.
    static let maxFrames = 120 * 86_400 * 7
    /// Project files are a few kilobytes per hundred shots; anything this large is not one.
    static let maxFileBytes = 64 << 20

    public var format = "kinecolor-project"
    public var version = Project.currentVersion
    public var input: InputInfo
    public var model: ModelInfo
    public var defaults: Defaults
    public var shots: [ShotEntry]

    public struct InputInfo: Codable, Equatable, Sendable {
        public var path: String
        public var sizeBytes: Int
        public var frameCount: Int
        public var durationSeconds: Double
        /// SHA-256 of the file's first 8 MiB and its size: cheap, and changes with any re-encode or edit.
        public var fingerprint: String
        public var videoStream: Int?
        /// An image sequence's rate as planned (`--fps`), "24000/1001": a sequence has no clock of
        /// its own, so `render` reads it at this rate. Absent for films.
        public var frameRate: String? = nil
    }

    public struct ModelInfo: Codable, Equatable, Sendable {
        /// nil: the embedded default model.
        public var path: String?
        public var name: String
        public var sha256: String?
    }

    public struct Defaults: Codable, Equatable, Sendable {
        /// The class choice the plan was made with ("auto" or a class); each shot lists its own.
        public var `class`: String
        public var seed: UInt64
        public var zStd: Double
        public var smooth: Int
        public var size: Int
        /// Gain on the network's a/b; absent in older files (1).
        public var saturation: Double?
        /// The keyframe policy the plan was made with ("auto", "all" or N); absent: "all".
        public var keyframes: String?
        /// `render` and `assemble` keep the work folder's segments after success, for later edits
        /// (as `--keep-work`); absent: false, the folder is removed.
        public var keepWork: Bool?
    }

    /// Frames are 1-based and inclusive, as in the shot list CSV.
    public struct ShotEntry: Codable, Equatable, Sendable {
        public var shot: Int
        public var startFrame: Int
        public var endFrame: Int
        public var startTimecode: String
        public var endTimecode: String
        public var `class`: String
        public var seed: UInt64
        public var skip: Bool
        public var notes: String
        /// Frames the network colorizes (1-based, ascending, the first is `start_frame`); the
        /// others get their color carried from them along the motion. Absent: every frame.
        public var keyframes: [Int]?
        /// The restorer's colors for frames of this shot (`Reference`); absent: none.
        public var references: [ReferenceEntry]?
        /// A color photo whose palette the shot's network colors are shifted toward; a relative
        /// path is relative to the project file's folder. Not used when the shot has references.
        public var palette: String?
        /// The shot's camera setup (1, 2, …): shots with the same number look at the same scene
        /// from the same place, and one without references borrows those of another shot of its
        /// setup. `plan` groups them; absent: a setup of its own.
        public var setup: Int?
        /// Another shot whose colors this one's are shifted toward (`Looks`); absent: none.
        public var look: LookEntry?
    }

    /// `{"shot": N}`: the look of shot N (1-based).
    public struct LookEntry: Codable, Equatable, Sendable {
        public var shot: Int

        public init(shot: Int) { self.shot = shot }
    }

    /// A color image of one frame (1-based, inside the shot); a relative path is relative to the
    /// project file's folder.
    public struct ReferenceEntry: Codable, Equatable, Sendable {
        public var frame: Int
        public var image: String

        public init(frame: Int, image: String) {
            self.frame = frame
            self.image = image
        }
    }

    enum CodingKeys: String, CodingKey { case format, version, input, model, defaults, shots }

    // MARK: Making one

    public init(input url: URL, videoStream: Int?, analysis: FilmAnalysis, shots: [ShotSettings], options: ColorizeOptions,
                modelPath: String?, network: ChromaNetwork) throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        self.input = InputInfo(path: url.path, sizeBytes: size, frameCount: analysis.frameCount,
                               durationSeconds: Project.endTime(analysis, analysis.frameCount) - (analysis.frameTimes.first ?? 0),
                               fingerprint: try Project.fingerprint(url), videoStream: videoStream,
                               frameRate: ImageSequence.isPattern(url.path) ? ImageSequence.frameRate(forPattern: url.path).description : nil)
        self.model = ModelInfo(path: modelPath, name: network.name, sha256: network.checksum)
        self.defaults = Defaults(class: options.classChoice ?? "auto", seed: options.seed, zStd: options.zStd, smooth: options.smoothing, size: options.size,
                                 saturation: options.saturation, keyframes: options.keyframes.description)
        self.shots = shots.map { s in
            ShotEntry(shot: s.index + 1, startFrame: s.start + 1, endFrame: s.end,
                      startTimecode: Project.timecode(analysis, s.start), endTimecode: Project.timecode(analysis, s.end),
                      class: network.classNames[s.classIndex], seed: s.seed, skip: s.skip, notes: "",
                      keyframes: s.keyframes.map { $0.map { $0 + 1 } }, setup: s.setup.map { $0 + 1 })
        }
    }

    /// When frame `frame` starts; for one past the last frame, when the last frame ends.
    public static func endTime(_ analysis: FilmAnalysis, _ frame: Int) -> Double {
        if frame < analysis.frameTimes.count { return analysis.frameTimes[frame] }
        guard let last = analysis.frameTimes.last else { return 0 }
        return analysis.frameTimes.count > 1 ? last + (last - analysis.frameTimes[analysis.frameTimes.count - 2]) : last
    }

    /// When frame `frame` starts, rounded to the millisecond (the timecodes of existing project
    /// files were rounded so: keep it, so that planning a film again gives the same file).
    static func timecode(_ analysis: FilmAnalysis, _ frame: Int) -> String {
        Timecode.format(milliseconds: Int((max(endTime(analysis, frame), 0) * 1000).rounded()))
    }

    public static func fingerprint(_ url: URL) throws -> String {
        if ImageSequence.isPattern(url.path) {
            // A sequence has no one file: its first frame stands for it, with its numbering.
            let sequence = try ImageSequence(pattern: url.path)
            let head = try FileHead.read(URL(fileURLWithPath: sequence.path(of: sequence.first)), upTo: 8 << 20)
            return "sha256-8MiB:" + SHA256.hex(of: head + Data("\(sequence.first)+\(sequence.count)".utf8))
        }
        let head = try FileHead.read(url, upTo: 8 << 20)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        return "sha256-8MiB:" + SHA256.hex(of: head + Data("\(size)".utf8))
    }

    // MARK: Reading and checking one

    public static func load(_ url: URL) throws -> Project {
        let name = url.lastPathComponent
        let data: Data
        do { data = try FileHead.read(url, upTo: maxFileBytes + 1) } catch {
            throw PipelineError("\(name): cannot read (\(AtomicFile.reason(error)))")
        }
        return try decode(data, name: name)
    }

    /// A project from a file's bytes, checked as `load` checks it; `name` is for messages.
    public static func decode(_ data: Data, name: String) throws -> Project {
        guard data.count <= maxFileBytes else { throw PipelineError("\(name): not a Kinecolor project (larger than \(maxFileBytes >> 20) MiB)") }
        let project: Project
        do { project = try StrictJSON.decode(Project.self, from: [UInt8](data), snakeCaseKeys: true) } catch let e as JSONProblem {
            throw PipelineError("\(name): \(e.isSyntax ? "not valid JSON (\(e))" : "\(e)")")
        } catch {
            throw PipelineError("\(name): not a Kinecolor project (\(error.localizedDescription))")
        }
        try project.validate(name)
        return project
    }

    public func save(to url: URL, overwrite: Bool) throws {
        try AtomicFile.write(try encoded(), to: url, overwrite: overwrite)
    }

    /// The file's bytes as `save` writes them.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    func validate(_ name: String) throws {
        func fail(_ field: String, _ why: String) -> PipelineError { PipelineError("\(name): \(field) \(why)") }
        guard format == "kinecolor-project" else { throw fail("format", "is '\(format)', expected 'kinecolor-project'") }
        guard Project.readableVersions.contains(version) else {
            throw fail("version", "\(version) is not supported (this kinecolor reads versions \(Project.readableVersions.lowerBound)–\(Project.readableVersions.upperBound))")
        }
        if let text = defaults.keyframes, KeyframePolicy(text) == nil {
            throw fail("defaults.keyframes", "is '\(text)'; write \"auto\", \"all\" or a whole number of frames in 1…\(KeyframePolicy.longestInterval)")
        }
        do { try options.validate() } catch { throw fail("defaults.\(error.field)", error.problem) }
        guard (1...Self.maxFrames).contains(input.frameCount) else {
            throw fail("input.frame_count", "\(input.frameCount) must be in 1…\(Self.maxFrames)")
        }
        if let text = input.frameRate, Project.rate(text) == nil {
            throw fail("input.frame_rate", "is '\(text)'; write frames per second as N/D in 1…1000, e.g. 24000/1001")
        }
        if let v = input.videoStream, !ColorizeOptions.videoStreamRange.contains(v) {
            throw fail("input.video_stream", "\(v) must be in 0…\(ColorizeOptions.videoStreamRange.upperBound)")
        }
        guard !shots.isEmpty else { throw fail("shots", "is empty") }
        var next = 1
        for (i, s) in shots.enumerated() {
            guard s.startFrame == next else {
                throw fail("shots[\(i)].start_frame", "is \(s.startFrame); shots must follow each other without gaps or overlaps, so it should be \(next)")
            }
            guard s.endFrame >= s.startFrame else { throw fail("shots[\(i)].end_frame", "(\(s.endFrame)) is before its start_frame (\(s.startFrame))") }
            // Checked before `+ 1`: an end_frame of Int.max would otherwise trap.
            guard s.endFrame <= input.frameCount, s.endFrame < Int.max else {
                throw fail("shots[\(i)].end_frame", "is \(s.endFrame), but the film has \(input.frameCount) frames")
            }
            if let keys = s.keyframes { try Project.checkKeyframes(keys, of: s, field: "shots[\(i)].keyframes", fail: fail) }
            var seen = Set<Int>()
            for (j, r) in (s.references ?? []).enumerated() {
                let field = "shots[\(i)].references[\(j)]"
                guard (s.startFrame...s.endFrame).contains(r.frame) else {
                    throw fail("\(field).frame", "is \(r.frame), outside the shot's frames \(s.startFrame)–\(s.endFrame)")
                }
                guard seen.insert(r.frame).inserted else { throw fail("\(field).frame", "is \(r.frame) again; give one image per frame") }
                guard !r.image.isEmpty else { throw fail("\(field).image", "is empty") }
            }
            if s.palette == "" { throw fail("shots[\(i)].palette", "is empty") }
            if let look = s.look {
                do { try Looks.check(shot: i, from: look.shot - 1, count: shots.count) } catch {
                    throw fail("shots[\(i)].look.shot", "is \(look.shot): \(error)")
                }
            }
            if let setup = s.setup, setup < 1 || setup > Self.maxFrames {
                throw fail("shots[\(i)].setup", "is \(setup); setups are numbered from 1")
            }
            next = s.endFrame + 1
        }
        guard next - 1 == input.frameCount else {
            throw fail("shots[\(shots.count - 1)].end_frame", "is \(next - 1), but the film has \(input.frameCount) frames")
        }
    }

    /// The rate an image-sequence input is read at (`input.frame_rate`), nil for a film.
    public var sequenceRate: Rational? { input.frameRate.flatMap(Project.rate) }

    static func rate(_ text: String) -> Rational? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let n = Int32(parts[0]), let d = Int32(parts[1]), n > 0, d > 0 else { return nil }
        let rate = Rational(n, d)
        return (1...1000).contains(rate.doubleValue) ? rate : nil
    }

    /// Refuses a project whose input is not the file it was planned on.
    public func checkInput(_ url: URL) throws {
        let now = try Project.fingerprint(url)
        guard now == input.fingerprint else {
            throw PipelineError("\(url.path): the input changed since the project was planned (fingerprint differs); run `kinecolor plan` again")
        }
    }

    /// The render settings: one `ShotSettings` per entry, classes resolved against the model,
    /// reference images read (relative paths from `directory`, the project file's folder).
    public func shotSettings(network: ChromaNetwork, directory: URL? = nil) throws -> [ShotSettings] {
        var settings: [ShotSettings] = try shots.enumerated().map { i, s in
            let classIndex: Int
            do { classIndex = try network.classIndex(s.class) } catch {
                throw PipelineError("shots[\(i)].class: \(error)")
            }
            func image(_ path: String, field: String, role: String) throws -> ReferenceImage {
                let url = path.hasPrefix("/") ? URL(fileURLWithPath: path)
                    : (directory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).appendingPathComponent(path)
                guard FileManager.default.fileExists(atPath: url.path) else {
                    throw PipelineError("\(field): \(url.path) does not exist")
                }
                return try ReferenceImage.load(url, named: path, role: role)
            }
            let references = try (s.references ?? []).enumerated().map { j, r in
                Reference(frame: r.frame - 1, image: try image(r.image, field: "shots[\(i)].references[\(j)].image", role: "reference"))
            }
            let palette = try s.palette.map { try image($0, field: "shots[\(i)].palette", role: "palette") }
            return ShotSettings(index: i, start: s.startFrame - 1, end: s.endFrame, classIndex: classIndex,
                                seed: s.seed, zStd: defaults.zStd, skip: s.skip, keyframes: s.keyframes.map { $0.map { $0 - 1 } },
                                references: references, palette: palette, setup: s.setup.map { $0 - 1 }, look: s.look.map { $0.shot - 1 })
        }
        settings.lendReferences()
        return settings
    }

    /// Shot `k`'s class-head probabilities as `plan` measures them (the same sampled frames of the
    /// input, the same mean), so `network.autoClass` of them is what `--class auto` gives the shot;
    /// nil when the network has no class head.
    /// `progress` is only asked whether to stop.
    public func classProbabilities(ofShot k: Int, network: ChromaNetwork,
                                   progress: (any ProgressObserver)? = nil) throws -> [Float]? {
        guard network.hasClassEstimate else { return nil }
        let range = (shots[k].startFrame - 1)..<shots[k].endFrame
        return try ClassSampler.classify([range], of: URL(fileURLWithPath: input.path), videoStream: input.videoStream,
                                         frameCount: input.frameCount, network: network, progress: progress)[0]
    }

    public var options: ColorizeOptions {
        ColorizeOptions(classChoice: nil, seed: defaults.seed, zStd: defaults.zStd, smoothing: defaults.smooth,
                        size: defaults.size, saturation: defaults.saturation ?? 1, videoStream: input.videoStream,
                        keyframes: defaults.keyframes.flatMap(KeyframePolicy.init) ?? .all)
    }

    /// The project with every shot's keyframes placed by `policy` (`auto` decodes the film once),
    /// for a render or preview that overrides the file's lists; the file itself is not changed.
    public func withKeyframes(_ policy: KeyframePolicy, progress: (any ProgressObserver)? = nil) throws -> Project {
        var out = self
        out.defaults.keyframes = policy.description
        let ranges = shots.map { ($0.startFrame - 1)..<$0.endFrame }
        let placed: [[Int]?]
        if policy == .auto {
            placed = try KeyframePlacement.place(in: URL(fileURLWithPath: input.path), videoStream: input.videoStream,
                                                 shots: ranges.map { Shot(start: $0.lowerBound, end: $0.upperBound) },
                                                 size: defaults.size, progress: progress)
        } else {
            placed = ranges.map { policy == .all ? nil : policy.fixed($0) }
        }
        for i in out.shots.indices { out.shots[i].keyframes = placed[i].map { $0.map { $0 + 1 } } }
        return out
    }

    /// Shot `k`'s keyframes as `--keyframes auto` places them (1-based, as the file lists them),
    /// decoding the film only up to the shot's end.
    public func autoKeyframes(ofShot k: Int) throws -> [Int] {
        // The shots before it too: placement runs from the film's first frame.
        let placed = try KeyframePlacement.place(in: URL(fileURLWithPath: input.path), videoStream: input.videoStream,
                                                 shots: shots[...k].map { Shot(start: $0.startFrame - 1, end: $0.endFrame) },
                                                 size: defaults.size, progress: nil)
        return placed[k].map { $0 + 1 }
    }

    /// A shot's keyframe list, as the restorer may have edited it: inside the shot, ascending,
    /// no repeats, starting at the shot's first frame, gaps of at most the longest interval.
    static func checkKeyframes(_ keys: [Int], of s: ShotEntry, field: String,
                               fail: (String, String) -> PipelineError) throws {
        let shot = "the shot's frames \(s.startFrame)–\(s.endFrame)"
        guard let first = keys.first else { throw fail(field, "is empty; list at least the shot's first frame (\(s.startFrame)), or remove the field for every frame") }
        guard first == s.startFrame else { throw fail(field, "starts at \(first); the first keyframe must be the shot's first frame, \(s.startFrame)") }
        if let outside = keys.first(where: { !(s.startFrame...s.endFrame).contains($0) }) {
            throw fail(field, "lists frame \(outside), outside \(shot)")
        }
        for (a, b) in zip(keys, keys.dropFirst()) {
            guard b != a else { throw fail(field, "lists frame \(b) twice") }
            guard b > a else { throw fail(field, "is not in ascending order (\(a) before \(b))") }
            guard b - a <= KeyframePolicy.longestInterval else {
                throw fail(field, "has a gap of \(b - a) frames (\(a) to \(b)); at most \(KeyframePolicy.longestInterval)")
            }
        }
        guard s.endFrame - keys.last! < KeyframePolicy.longestInterval else {
            throw fail(field, "leaves \(s.endFrame - keys.last!) frames after the last keyframe; at most \(KeyframePolicy.longestInterval - 1)")
        }
    }
}
