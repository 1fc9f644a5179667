import Foundation
import KinecolorFiles
import KinecolorMedia
import KinecolorPipeline

/// Opens the project file as a render, its model loaded and checked. The command supplies it:
/// choosing and checking the model is its business, as for `kinecolor render`.
public typealias RenderOpener = @Sendable () throws -> SegmentedRender

/// The pictures the page asks for, rendered one job at a time on a queue of their own (the
/// server's threads only wait for them), and kept in the work folder's `review/` under the
/// shot's settings checksum, the one its segment is named by: a picture is rendered once per
/// setting, and a changed setting can never show a stale one.
final class Workshop: @unchecked Sendable {
    let file: ProjectFile
    let opener: RenderOpener
    let folder: URL
    let render: FilmRenderJob
    private let queue = DispatchQueue(label: "kinecolor.review.workshop")
    private let lock = NSLock()
    private var current: (version: String, render: SegmentedRender)?
    private var running: String?
    private var queued = 0
    /// Shots whose thumbnails are wanted: one job renders all of them in one decoding pass.
    private var wantedThumbnails = Set<Int>()

    init(file: ProjectFile, opener: @escaping RenderOpener, workDirectory: URL, output: URL) {
        self.file = file
        self.opener = opener
        folder = workDirectory.appendingPathComponent("review")
        render = FilmRenderJob(opener: opener, output: output)
    }

    // MARK: The project as opened

    /// Sendable because its render (and model) is used by one job at a time.
    struct Opened: @unchecked Sendable {
        let project: Project
        let version: String
        let render: SegmentedRender
    }

    /// The project on disk now, with its render (kept while the file stays the same).
    func opened() throws -> Opened {
        let (project, version) = try file.read()
        return try lock.withLock {
            if let current, current.version == version { return Opened(project: project, version: version, render: current.render) }
            let render: SegmentedRender
            do { render = try opener() } catch { throw ReviewError(.unprocessableContent, "\(error)") }
            current = (version, render)
            return Opened(project: project, version: version, render: render)
        }
    }

    /// Shot number `n` (1-based) as an index, or a 404 naming the film's shots.
    static func index(_ n: Int, of opened: Opened) throws -> Int {
        guard (1...opened.render.shots.count).contains(n) else {
            throw ReviewError(.notFound, "shot \(n): the project has shots 1…\(opened.render.shots.count)")
        }
        return n - 1
    }

    var status: (running: String?, queued: Int) { lock.withLock { (running, queued) } }

    /// Runs `body` on the workshop's queue, after the jobs before it.
    func perform<T: Sendable>(_ title: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        lock.withLock { queued += 1 }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                self.lock.withLock { self.queued -= 1; self.running = title }
                let result = Result { try body() }
                self.lock.withLock { self.running = nil }
                continuation.resume(with: result)
            }
        }
    }

    // MARK: Pictures of a shot

    func thumbnailURL(_ k: Int, _ render: SegmentedRender) -> URL {
        folder.appendingPathComponent("thumb-\(k + 1)-\(render.checksum(k)).png")
    }

    func paintURL(_ k: Int, _ render: SegmentedRender) -> URL {
        folder.appendingPathComponent("paint-\(k + 1)-\(render.checksum(k)).png")
    }

    /// The shot's frame to paint as it will render, 320 pixels wide.
    func thumbnail(shot n: Int) async throws -> Data {
        try await still(shot: n, url: thumbnailURL)
    }

    /// The shot's frame to paint as it will render, at full size, and its frame number (1-based).
    func paintFrame(shot n: Int) async throws -> (png: Data, frame: Int) {
        let opened = try opened()
        let k = try Self.index(n, of: opened)
        return (try await still(shot: n, url: paintURL), opened.render.shots[k].frameToPaint + 1)
    }

    /// The picture of shot `n`'s reference at `frame` (1-based), 320 pixels wide, so that the page
    /// shows what was painted. Kept in the work folder under the image's content hash.
    func referencePicture(shot n: Int, frame: Int) throws -> Data {
        let opened = try opened()
        let k = try Self.index(n, of: opened)
        guard let image = opened.render.shots[k].references.first(where: { $0.frame == frame - 1 })?.image else {
            throw ReviewError(.notFound, "shot \(n) has no reference at frame \(frame)")
        }
        let url = folder.appendingPathComponent("reference-\(image.sha256).png")
        if let data = try? Data(contentsOf: url) { return data }
        try makeFolder()
        let small = image.thumbnail(maxWidth: 320)
        try StillImage.writePNG(rgb: small.rgb, width: small.width, height: small.height, to: url, overwrite: true)
        return try Data(contentsOf: url)
    }

    private func still(shot n: Int, url: @escaping @Sendable (Int, SegmentedRender) -> URL) async throws -> Data {
        let opened = try opened()
        let k = try Self.index(n, of: opened)
        if let data = try? Data(contentsOf: url(k, opened.render)) { return data }
        lock.withLock { _ = wantedThumbnails.insert(k) }
        return try await perform("thumbnail of shot \(n)") {
            let opened = try self.opened()
            let wanted = self.lock.withLock {
                defer { self.wantedThumbnails = [] }
                return self.wantedThumbnails.union([k])
            }
            try self.renderStills(wanted.filter { $0 < opened.render.shots.count }.sorted(), opened.render)
            return try Data(contentsOf: url(k, opened.render))
        }
    }

    /// Renders the frames to paint of shots `ks` that are not cached yet, in one decoding pass.
    private func renderStills(_ ks: [Int], _ render: SegmentedRender) throws {
        let todo = ks.filter { k in
            ![thumbnailURL(k, render), paintURL(k, render)].allSatisfy { FileManager.default.fileExists(atPath: $0.path) }
        }
        guard !todo.isEmpty else { return }
        try makeFolder()
        let options = render.project.options
        let windows = try FrameWindow.collect(todo.map { render.shots[$0].frameToPaint }, of: input(render),
                                              shots: render.shots, options: options)
        for (k, window) in zip(todo, windows) {
            let frame = try window.render(shot: render.shots[k], network: render.network, options: options)
            try StillImage.writePNG(frame, matrix: ColorMatrix.shown(window.video), to: paintURL(k, render), overwrite: true)
            let small = try ContactSheet.thumbnail(frame, video: window.video, width: 320)
            try StillImage.writePNG(rgb: small.rgb, width: small.width, height: small.height, to: thumbnailURL(k, render),
                                    overwrite: true)
        }
    }

    /// One cell of the candidate grid.
    struct Candidate: Sendable {
        let className: String
        let seed: UInt64
        let id: String
        let current: Bool
    }

    /// Classes × seeds around the shot's own: its class and the two the model finds likeliest
    /// (or the next two), each with its seed and the two after it.
    func candidates(shot n: Int) async throws -> [Candidate] {
        let opened = try opened()
        let k = try Self.index(n, of: opened)
        return try await perform("candidates of shot \(n)") {
            let render = opened.render, shot = render.shots[k], network = render.network
            var classes = [shot.classIndex]
            if let p = try opened.project.classProbabilities(ofShot: k, network: network) {
                classes += p.indices.sorted { p[$0] > p[$1] }.filter { $0 != shot.classIndex }.prefix(2)
            } else {
                classes += (1..<min(3, network.classNames.count)).map { (shot.classIndex + $0) % network.classNames.count }
            }
            let seeds = (0..<UInt64(3)).map { shot.seed &+ $0 }
            var cells: [(Candidate, ShotSettings)] = []
            for c in classes {
                for seed in seeds {
                    var variant = shot
                    variant.classIndex = c
                    variant.seed = seed
                    let cell = Candidate(className: network.classNames[c], seed: seed, id: render.checksum(of: variant),
                                         current: c == shot.classIndex && seed == shot.seed)
                    cells.append((cell, variant))
                }
            }
            let missing = cells.filter { !FileManager.default.fileExists(atPath: self.candidateURL(n, $0.0.id).path) }
            if !missing.isEmpty {
                try self.makeFolder()
                let options = render.project.options
                let window = try FrameWindow.collect([shot.frameToPaint], of: self.input(render), shots: render.shots,
                                                     options: options)[0]
                for (cell, variant) in missing {
                    let frame = try window.render(shot: variant, network: network, options: options)
                    let small = try ContactSheet.thumbnail(frame, video: window.video, width: 320)
                    try StillImage.writePNG(rgb: small.rgb, width: small.width, height: small.height,
                                            to: self.candidateURL(n, cell.id), overwrite: true)
                }
            }
            return cells.map(\.0)
        }
    }

    func candidateURL(_ n: Int, _ id: String) -> URL {
        folder.appendingPathComponent("candidate-\(n)-\(id).png")
    }

    /// A candidate's picture by the id the grid gave (hexadecimal: it can name nothing else).
    func candidate(shot n: Int, id: String) throws -> Data {
        guard id.count == 16, id.allSatisfy(\.isHexDigit) else { throw ReviewError(.notFound, "no such candidate") }
        guard let data = try? Data(contentsOf: candidateURL(n, id)) else {
            throw ReviewError(.notFound, "no such candidate of shot \(n); ask for the shot's candidates first")
        }
        return data
    }

    /// The shot alone with its sound, as `render --shots N` writes it (H.264 in MP4, which every
    /// browser plays), from the same segment a render of the film uses.
    func clip(shot n: Int) async throws -> Data {
        let opened = try opened()
        let k = try Self.index(n, of: opened)
        let url = folder.appendingPathComponent("clip-\(n)-\(opened.render.checksum(k)).mp4")
        if let data = try? Data(contentsOf: url) { return data }
        return try await perform("review clip of shot \(n)") {
            guard let data = try self.render.withSegments({ () throws -> Data in
                try self.makeFolder()
                try opened.render.renderSegments([k], progress: nil)
                try opened.render.assemble(output: url, encode: EncodeOptions(codec: .h264, crf: 20, preset: "veryfast"),
                                           overwrite: true, only: [k], progress: nil)
                return try Data(contentsOf: url)
            }) else {
                throw ReviewError(.conflict, "the film is being rendered; shot \(n) can be played when it is done")
            }
            return data
        }
    }

    private func input(_ render: SegmentedRender) -> URL { URL(fileURLWithPath: render.project.input.path) }

    func makeFolder() throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ReviewError(.internalServerError, "\(folder.path): cannot create (\(AtomicFile.reason(error)))")
        }
    }
}
