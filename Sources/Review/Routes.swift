import Foundation
import HTTPTypes
import Hummingbird
import KinecolorFiles
import KinecolorMedia
import KinecolorPipeline

/// The HTTP API of Docs/review.md. Files are reached only by what the server issued (a shot number,
/// a checksum, a content hash): nothing in a request is joined to a path.
struct Routes: Sendable {
    let workshop: Workshop
    let page: Page
    let configuration: ReviewServer.Configuration

    func add(to router: Router<BasicRequestContext>) {
        addReading(router)
        addEditing(router)
        addRendering(router)
    }

    /// The page, the project and the pictures: nothing here changes a file the user owns.
    private func addReading(_ router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in Reply.bytes(page.html, type: "text/html; charset=utf-8") }
        router.get("/page/review.js") { _, _ in Reply.bytes(page.script, type: "text/javascript; charset=utf-8") }
        router.get("/page/review.css") { _, _ in Reply.bytes(page.style, type: "text/css; charset=utf-8") }

        router.get("/api/project") { _, _ in Reply.json(try listing()) }
        router.get("/api/status") { _, _ in
            let jobs = workshop.status
            return Reply.json(["jobs": ["running": jobs.running ?? NSNull(), "queued": jobs.queued] as [String: Any],
                               "render": workshop.render.snapshot])
        }
        router.get("/api/shots/:shot/thumbnail") { _, context in
            Reply.bytes(try await workshop.thumbnail(shot: try shot(context)), type: "image/png")
        }
        router.get("/api/shots/:shot/paint") { _, context in
            let n = try shot(context)
            let (png, frame) = try await workshop.paintFrame(shot: n)
            return Reply.bytes(png, type: "image/png", extra: [
                (.contentDisposition, "attachment; filename=\"shot\(n)-frame\(frame).png\""),
                (HTTPField.Name("X-Kinecolor-Frame")!, "\(frame)"),
            ])
        }
        router.get("/api/shots/:shot/candidates") { _, context in
            let n = try shot(context)
            let cells = try await workshop.candidates(shot: n)
            return Reply.json(["cells": cells.map { cell -> [String: Any] in
                ["class": cell.className, "label": cell.className, "seed": cell.seed, "current": cell.current,
                 "image": "/api/shots/\(n)/candidates/\(cell.id)"]
            }])
        }
        router.get("/api/shots/:shot/candidates/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            return Reply.bytes(try workshop.candidate(shot: try shot(context), id: id), type: "image/png")
        }
        router.get("/api/shots/:shot/references/:frame") { _, context in
            guard let frame = context.parameters.get("frame", as: Int.self) else {
                throw ReviewError(.notFound, "a reference is named by its frame number")
            }
            return Reply.bytes(try workshop.referencePicture(shot: try shot(context), frame: frame), type: "image/png")
        }
        router.get("/api/shots/:shot/clip") { _, context in
            Reply.bytes(try await workshop.clip(shot: try shot(context)), type: "video/mp4")
        }
    }

    /// Edits of the project file, each checked against the version the page saw.
    private func addEditing(_ router: Router<BasicRequestContext>) {
        router.post("/api/shots/:shot") { request, context in
            let n = try shot(context)
            let body = try await json(request)
            let version = try field(body, "version", as: String.self)
            let change = try ShotChange(body, network: try workshop.opened().render.network)
            // Placing keyframes decodes the shot: done before the file is locked for the edit.
            let keys = try change.keyframes == "auto" ? autoKeyframes(shot: n) : nil
            _ = try workshop.file.edit(expecting: version) { project in
                let k = try index(n, project)
                if let c = change.className { project.shots[k].class = c }
                if let s = change.seed { project.shots[k].seed = s }
                if let s = change.skip { project.shots[k].skip = s }
                if change.keyframes == "all" { project.shots[k].keyframes = nil }
                if let keys { project.shots[k].keyframes = keys }
            }
            return Reply.json(try listing())
        }
        router.post("/api/shots/:shot/references") { request, context in
            let n = try shot(context)
            guard let frame = request.uri.queryParameters.get("frame", as: Int.self) else {
                throw ReviewError(.badRequest, "give the reference's frame: ?frame=F")
            }
            guard let version = request.uri.queryParameters.get("version") else {
                throw ReviewError(.badRequest, "give the project's version: &version=V")
            }
            let image = try await upload(request)
            _ = try workshop.file.edit(expecting: String(version)) { project in
                let k = try index(n, project)
                let s = project.shots[k]
                guard (s.startFrame...s.endFrame).contains(frame) else {
                    throw ReviewError(.badRequest, "frame \(frame) is not in shot \(n) (frames \(s.startFrame)–\(s.endFrame))")
                }
                var references = (s.references ?? []).filter { $0.frame != frame }
                references.append(.init(frame: frame, image: image))
                project.shots[k].references = references.sorted { $0.frame < $1.frame }
            }
            return Reply.json(try listing())
        }
        router.post("/api/shots/:shot/references/delete") { request, context in
            let n = try shot(context)
            let body = try await json(request)
            let version = try field(body, "version", as: String.self)
            let frame = try field(body, "frame", as: Int.self)
            _ = try workshop.file.edit(expecting: version) { project in
                let k = try index(n, project)
                let kept = (project.shots[k].references ?? []).filter { $0.frame != frame }
                guard kept.count != (project.shots[k].references ?? []).count else {
                    throw ReviewError(.notFound, "shot \(n) has no reference at frame \(frame)")
                }
                project.shots[k].references = kept.isEmpty ? nil : kept
            }
            return Reply.json(try listing())
        }
        router.post("/api/undo") { request, _ in
            let body = try await json(request)
            try workshop.file.undo(expecting: try field(body, "version", as: String.self))
            return Reply.json(try listing())
        }
    }

    private func addRendering(_ router: Router<BasicRequestContext>) {
        router.post("/api/render") { request, _ in
            let body = try await json(request)
            let count = try workshop.opened().project.shots.count
            try workshop.render.start(overwrite: body["overwrite"] as? Bool ?? false,
                                      shots: try markedShots(body["shots"], count: count))
            return Reply.json(["render": workshop.render.snapshot])
        }
        router.post("/api/render/stop") { _, _ in
            workshop.render.stop()
            return Reply.json(["render": workshop.render.snapshot])
        }
    }

    // MARK: Reading requests

    private func shot(_ context: BasicRequestContext) throws -> Int {
        guard let n = context.parameters.get("shot", as: Int.self), n >= 1 else {
            throw ReviewError(.notFound, "shots are numbered from 1")
        }
        return n
    }

    private func index(_ n: Int, _ project: Project) throws -> Int {
        guard (1...project.shots.count).contains(n) else {
            throw ReviewError(.notFound, "shot \(n): the project has shots 1…\(project.shots.count)")
        }
        return n - 1
    }

    private func json(_ request: Request) async throws -> [String: Any] {
        let buffer = try await collect(request, limit: 1 << 20)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw ReviewError(.badRequest, "the request body is not a JSON object")
        }
        return object
    }

    /// `"shots": [1, 3]` (1-based, as in the project) as sorted 0-based indices; absent or null: the film.
    private func markedShots(_ value: Any?, count: Int) throws -> [Int]? {
        guard let value, !(value is NSNull) else { return nil }
        guard let numbers = value as? [Int], !numbers.isEmpty, numbers.allSatisfy({ (1...count).contains($0) }) else {
            throw ReviewError(.badRequest, "shots must be a non-empty list of shot numbers 1…\(count)")
        }
        return Set(numbers).sorted().map { $0 - 1 }
    }

    private func field<T>(_ body: [String: Any], _ name: String, as type: T.Type) throws -> T {
        guard let value = body[name] as? T else { throw ReviewError(.badRequest, "\(name) is missing or not a \(T.self)") }
        return value
    }

    private func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch {
            throw ReviewError(.contentTooLarge, "the request is larger than \(limit >> 20) MiB")
        }
    }

    /// Stores an uploaded reference under its content hash and returns the path the project lists
    /// (relative to the project's folder when inside it). It must decode as a colored still.
    private func upload(_ request: Request) async throws -> String {
        let data = Data(try await collect(request, limit: ReviewServer.maxUpload).readableBytesView)
        guard let ext = Self.imageExtension(data) else {
            throw ReviewError(.unsupportedMediaType, "the upload is not a PNG, JPEG, TIFF, WebP or BMP image")
        }
        let folder = workshop.folder.appendingPathComponent("uploads")
        let url = folder.appendingPathComponent("\(SHA256.hex(of: data)).\(ext)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try AtomicFile.write(data, to: url, overwrite: true)
        } catch {
            throw ReviewError(.internalServerError, "\(url.path): cannot store the upload (\(error))")
        }
        do {
            _ = try ReferenceImage.load(url, named: "the upload")
        } catch {
            try? FileManager.default.removeItem(at: url)
            throw ReviewError(.unprocessableContent, "\(error)")
        }
        let base = configuration.project.deletingLastPathComponent().standardizedFileURL.path + "/"
        let path = url.standardizedFileURL.path
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }

    /// The file type by its first bytes, not by anything the client claims.
    static func imageExtension(_ data: Data) -> String? {
        let b = [UInt8](data.prefix(12))
        guard b.count >= 12 else { return nil }
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "png" }
        if b.starts(with: [0xFF, 0xD8, 0xFF]) { return "jpg" }
        if b.starts(with: [0x49, 0x49, 0x2A, 0x00]) || b.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { return "tif" }
        if b.starts(with: Array("RIFF".utf8)), Array(b[8..<12]) == Array("WEBP".utf8) { return "webp" }
        if b.starts(with: Array("BM".utf8)) { return "bmp" }
        return nil
    }

    /// Keyframes placed by the motion analysis for shot `n` alone.
    private func autoKeyframes(shot n: Int) throws -> [Int] {
        let project = try workshop.opened().project
        return try project.autoKeyframes(ofShot: try index(n, project))
    }

    // MARK: The project as the page shows it

    private func listing() throws -> [String: Any] {
        let opened = try workshop.opened()
        let project = opened.project, render = opened.render
        let fps = project.input.durationSeconds > 0 ? Double(project.input.frameCount) / project.input.durationSeconds : 0
        let shots: [[String: Any]] = project.shots.enumerated().map { k, s in
            let settings = render.shots[k], checksum = render.checksum(k)
            return [
                "shot": k + 1, "start_frame": s.startFrame, "end_frame": s.endFrame,
                "start_timecode": s.startTimecode, "end_timecode": s.endTimecode, "frames": s.endFrame - s.startFrame + 1,
                "class": s.class, "seed": s.seed, "skip": s.skip,
                "keyframes": s.keyframes == nil ? "all" : "auto", "keyframe_count": s.keyframes?.count ?? (s.endFrame - s.startFrame + 1),
                "setup": s.setup.map { $0 as Any } ?? NSNull(), "frame_to_paint": settings.frameToPaint + 1,
                "references": (s.references ?? []).map { r -> [String: Any] in
                    // The picture's address changes with its content, as a thumbnail's with its settings.
                    let hash = settings.references.first { $0.frame == r.frame - 1 }?.image.sha256.prefix(16) ?? ""
                    return ["frame": r.frame, "image": r.image, "picture": "/api/shots/\(k + 1)/references/\(r.frame)?h=\(hash)"]
                },
                "notes": s.notes, "checksum": checksum, "thumbnail": "/api/shots/\(k + 1)/thumbnail?c=\(checksum)",
                "clip": "/api/shots/\(k + 1)/clip?c=\(checksum)",
            ]
        }
        return ["version": opened.version, "film": URL(fileURLWithPath: project.input.path).lastPathComponent,
                "frames": project.input.frameCount, "fps": (fps * 1000).rounded() / 1000,
                "can_undo": workshop.file.canUndo, "output": configuration.output.lastPathComponent,
                "classes": render.network.classNames, "shots": shots]
    }
}

/// The fields of `POST /api/shots/N` after `version`, checked.
private struct ShotChange {
    var className: String?
    var seed: UInt64?
    var skip: Bool?
    var keyframes: String?

    init(_ body: [String: Any], network: ChromaNetwork) throws {
        if let value = body["class"] {
            guard let name = value as? String, network.classNames.contains(name) else {
                throw ReviewError(.badRequest, "class must be one of the model's classes (\(network.classNames.prefix(5).joined(separator: ", "))…)")
            }
            className = name
        }
        if let value = body["seed"] {
            guard let number = value as? NSNumber, let seed = UInt64(exactly: number.doubleValue), seed <= UInt64(1) << 53 else {
                throw ReviewError(.badRequest, "seed must be a whole number from 0")
            }
            self.seed = seed
        }
        if let value = body["skip"] {
            guard let flag = value as? Bool else { throw ReviewError(.badRequest, "skip must be true or false") }
            skip = flag
        }
        if let value = body["keyframes"] {
            guard let mode = value as? String, mode == "auto" || mode == "all" else {
                throw ReviewError(.badRequest, "keyframes must be \"auto\" or \"all\"")
            }
            keyframes = mode
        }
    }
}
