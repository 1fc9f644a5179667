import Foundation
import HTTPTypes
import Hummingbird
import KinecolorFiles
import KinecolorMedia
import KinecolorModel
import KinecolorPipeline
import LoopbackHTTP
import XCTest
@testable import KinecolorReview

/// The review server's HTTP API (Docs/review.md) on a real project: the bundled sample, planned
/// with three shots, rendered by the tiny test model at a small size. Each test runs the server as
/// `kinecolor review` does, on a free loopback port, and talks to it over a socket (LiveClient);
/// the browser test (CLITests) drives the page.
final class ReviewAPITests: XCTestCase, @unchecked Sendable {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let token = "0123456789abcdef0123456789abcdef"
    var dir: URL!
    var projectURL: URL { dir.appendingPathComponent("film.kcproj.json") }

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinecolor-review-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let film = Self.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4")
        let model = Self.repo.appendingPathComponent("Tests/ModelTests/Fixtures/tiny.safetensors")
        let shots = [(1, 44), (45, 88), (89, 132)].enumerated().map { i, s in
            """
            {"class": "class3", "end_frame": \(s.1), "end_timecode": "", "notes": "", "seed": 1, "shot": \(i + 1),
             "skip": false, "start_frame": \(s.0), "start_timecode": ""}
            """
        }
        let text = """
        {"defaults": {"class": "class3", "seed": 1, "size": 64, "smooth": 3, "z_std": 0.8},
         "format": "kinecolor-project",
         "input": {"duration_seconds": 5.5, "fingerprint": "\(try Project.fingerprint(film))", "frame_count": 132,
                   "path": "\(film.path)", "size_bytes": 0, "video_stream": null},
         "model": {"name": "tiny", "path": "\(model.path)", "sha256": null},
         "shots": [\(shots.joined(separator: ","))], "version": 4}
        """
        try Data(text.utf8).write(to: projectURL)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func server() throws -> ReviewServer {
        let project = projectURL, work = dir.appendingPathComponent("work")
        let model = Self.repo.appendingPathComponent("Tests/ModelTests/Fixtures/tiny.safetensors").path
        return try ReviewServer(
            .init(project: project, output: dir.appendingPathComponent("film-color.mkv"), workDirectory: work,
                  host: nil, port: 0, token: token),
            opener: {
                try SegmentedRender(project: try Project.load(project), network: try DefaultModel.load(model), workDirectory: work,
                                    projectDirectory: project.deletingLastPathComponent())
            })
    }

    var tokenHeader: HTTPFields { [TokenCheck<BasicRequestContext>.header: token] }

    func object(_ reply: Reply) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(reply.body.readableBytesView)) as? [String: Any], reply.text)
    }

    /// Runs `body` against this project's server, listening on a free port of 127.0.0.1.
    func withClient(_ body: @Sendable (LiveClient) async throws -> Void) async throws {
        let server = try server()
        let stop = StopFlag()
        let (ports, started) = AsyncStream.makeStream(of: Int.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { started.finish() }
                try await server.run(shouldStop: { stop.isSet }, listening: { urls in
                    if let port = urls.first.flatMap({ URL(string: $0)?.port }) { started.yield(port) }
                    started.finish()
                })
            }
            var listening = ports.makeAsyncIterator()
            guard let port = await listening.next() else {
                try await group.waitForAll()
                throw LoopbackHTTP.Failure("the review server did not start")
            }
            do {
                try await body(LiveClient(port: port))
            } catch {
                stop.set()
                try? await group.waitForAll()
                throw error
            }
            stop.set()
            try await group.waitForAll()
        }
    }

    func body(_ value: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: value))
    }

    func shotEntries() throws -> [[String: Any]] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: projectURL)) as! [String: Any]
        return json["shots"] as! [[String: Any]]
    }

    func testListsEveryShotAndServesThePage() async throws {
        try await withClient { client in
            let project = try object(try await client.send("/api/project"))
            let shots = try XCTUnwrap(project["shots"] as? [[String: Any]])
            XCTAssertEqual(shots.map { $0["shot"] as? Int }, [1, 2, 3])
            XCTAssertEqual(shots.map { $0["start_frame"] as? Int }, [1, 45, 89])
            XCTAssertEqual(shots[1]["frames"] as? Int, 44)
            XCTAssertEqual(project["version"] as? String, SHA256.hex(of: try Data(contentsOf: projectURL)))
            // The thumbnail: a PNG of the frame to paint, at most 320 wide.
            let thumbnail = try await client.send(try XCTUnwrap(shots[0]["thumbnail"] as? String))
            XCTAssertEqual(thumbnail.status, .ok, thumbnail.text)
            XCTAssertEqual(thumbnail.headers[.contentType], "image/png")
            XCTAssertEqual(Array(thumbnail.body.readableBytesView.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
            // The page carries this run's token.
            let page = try await client.send("/")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.text.contains(token))
        }
    }

    func testChoosingACandidateWritesTheProjectAndUndoPutsItBack() async throws {
        try await withClient { client in
            let before = try Data(contentsOf: projectURL)
            let grid = try await client.send("/api/shots/2/candidates")
            let cells = try XCTUnwrap(try object(grid)["cells"] as? [[String: Any]])
            XCTAssertEqual(cells.count, 9)
            XCTAssertEqual(cells.filter { $0["current"] as? Bool == true }.count, 1)
            let pick = try XCTUnwrap(cells.first { $0["current"] as? Bool == false && $0["class"] as? String != "class3" })
            let picture = try await client.send(pick["image"] as! String)
            XCTAssertEqual(picture.status, .ok)
            XCTAssertEqual(Array(picture.body.readableBytesView.prefix(4)), [0x89, 0x50, 0x4E, 0x47])

            let reply = try await client.send("/api/shots/2", method: .post, headers: tokenHeader,
                                                 body: try body(["version": SHA256.hex(of: before), "class": pick["class"]!, "seed": pick["seed"]!]))
            XCTAssertEqual(reply.status, .ok, reply.text)
            let edited = try object(reply)
            let shots = try shotEntries()
            XCTAssertEqual(shots[1]["class"] as? String, pick["class"] as? String)
            XCTAssertEqual(shots[1]["seed"] as? Int, pick["seed"] as? Int)
            XCTAssertEqual(shots[0]["class"] as? String, "class3")
            XCTAssertEqual(edited["can_undo"] as? Bool, true)
            XCTAssertEqual(edited["version"] as? String, SHA256.hex(of: try Data(contentsOf: projectURL)))
            // What render reads.
            XCTAssertEqual(try Project.load(projectURL).shots[1].class, pick["class"] as? String)

            let undone = try await client.send("/api/undo", method: .post, headers: tokenHeader, body: try body(["version": edited["version"]!]))
            XCTAssertEqual(undone.status, .ok, undone.text)
            XCTAssertEqual(try Data(contentsOf: projectURL), before)
        }
    }

    func testAStaleEditIsRefusedAndTheHandEditKept() async throws {
        try await withClient { client in
            let version = SHA256.hex(of: try Data(contentsOf: projectURL))
            // Edited by hand after the page read it.
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: projectURL)) as! [String: Any]
            var shots = json["shots"] as! [[String: Any]]
            shots[0]["notes"] = "edited by hand"
            json["shots"] = shots
            try JSONSerialization.data(withJSONObject: json).write(to: projectURL)
            let handEdited = try Data(contentsOf: projectURL)
            let reply = try await client.send("/api/shots/1", method: .post, headers: tokenHeader, body: try body(["version": version, "skip": true]))
            XCTAssertEqual(reply.status, .conflict)
            XCTAssertEqual(try object(reply)["stale"] as? Bool, true)
            XCTAssertEqual(try Data(contentsOf: projectURL), handEdited)
        }
    }

    func testChangesNeedThisRunsToken() async throws {
        try await withClient { client in
            let before = try Data(contentsOf: projectURL)
            let edit = try body(["version": SHA256.hex(of: before), "skip": true])
            for headers: HTTPFields in [[:], [TokenCheck<BasicRequestContext>.header: "0123456789abcdef0123456789abcdee"]] {
                let reply = try await client.send("/api/shots/1", method: .post, headers: headers, body: edit)
                XCTAssertEqual(reply.status, .forbidden)
                XCTAssertTrue(reply.text.contains("X-Kinecolor-Token"), reply.text)
            }
            let render = try await client.send("/api/render", method: .post, body: try body([:]))
            XCTAssertEqual(render.status, .forbidden)
            XCTAssertEqual(try Data(contentsOf: projectURL), before)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("film-color.mkv").path))
        }
    }

    func testNoRequestReachesAFileByItsPath() async throws {
        try await withClient { client in
            for uri in ["/../Package.swift", "/page/..%2F..%2FPackage.swift", "/page/index.html",
                        "/api/shots/1/candidates/..%2F..%2F..%2Fetc%2Fpasswd", "/api/shots/1/candidates/0123456789abcdeg",
                        "/api/shots/%2E%2E/thumbnail", "/api/shots/9/thumbnail", "/api/shots/0/paint"] {
                let reply = try await client.send(uri)
                XCTAssertEqual(reply.status, .notFound, uri)
                XCTAssertFalse(reply.text.contains("root:"), uri)
            }
        }
    }

    func testUploadsMustBeImagesOfBoundedSize() async throws {
        try await withClient { client in
            let version = SHA256.hex(of: try Data(contentsOf: projectURL))
            func colored(_ name: String, gray: Bool = false) throws -> Data {
                let (w, h) = (64, 36)
                var rgb = [UInt8](repeating: 0, count: w * h * 3)
                for i in 0..<(w * h) {
                    rgb[3 * i] = gray ? 90 : UInt8(40 + i % 200)
                    rgb[3 * i + 1] = 90
                    rgb[3 * i + 2] = gray ? 90 : 200
                }
                let url = dir.appendingPathComponent(name)
                try StillImage.writePNG(rgb: rgb, width: w, height: h, to: url)
                return try Data(contentsOf: url)
            }
            let uri = "/api/shots/2/references?frame=60&version=\(version)"
            let cases: [(Data, HTTPResponse.Status, String)] = [
                (Data(repeating: 0x89, count: ReviewServer.maxUpload + 1), .contentTooLarge, "larger than"),
                (Data("GIF89a, or just text pretending".utf8), .unsupportedMediaType, "not a PNG"),
                (try colored("gray.png", gray: true), .unprocessableContent, "gray"),
            ]
            for (data, status, words) in cases {
                let reply = try await client.send(uri, method: .post, headers: tokenHeader, body: ByteBuffer(bytes: data))
                XCTAssertEqual(reply.status, status, reply.text)
                XCTAssertTrue(reply.text.contains(words), reply.text)
            }
            XCTAssertNil(try shotEntries()[1]["references"])
            let png = try colored("painted.png")
            let reply = try await client.send(uri, method: .post, headers: tokenHeader, body: ByteBuffer(bytes: png))
            XCTAssertEqual(reply.status, .ok, reply.text)
            let references = try XCTUnwrap(try shotEntries()[1]["references"] as? [[String: Any]])
            XCTAssertEqual(references.first?["frame"] as? Int, 60)
            let stored = try XCTUnwrap(references.first?["image"] as? String)
            XCTAssertEqual(stored, "work/review/uploads/\(SHA256.hex(of: png)).png")
            XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent(stored)), png)
            let listed = (try object(reply)["shots"] as? [[String: Any]])?[1]["references"] as? [[String: Any]]
            XCTAssertEqual(listed?.first?["frame"] as? Int, 60)
            // Its picture, small, by the address the listing gives; a frame without one is a 404.
            let address = try XCTUnwrap(listed?.first?["picture"] as? String)
            XCTAssertTrue(address.hasPrefix("/api/shots/2/references/60?h=\(SHA256.hex(of: png).prefix(16))"), address)
            let picture = try await client.send(address)
            XCTAssertEqual(picture.status, .ok, picture.text)
            XCTAssertEqual(picture.headers[.contentType], "image/png")
            let shown = dir.appendingPathComponent("shown.png")
            try Data(picture.body.readableBytesView).write(to: shown)
            let decoded = try MediaReader(url: shown)
            XCTAssertEqual([decoded.video.width, decoded.video.height], [64, 36])
            for uri in ["/api/shots/2/references/61", "/api/shots/2/references/..%2F60"] {
                let missing = try await client.send(uri)
                XCTAssertEqual(missing.status, .notFound, uri)
            }
        }
    }

    /// The shots marked on the page render on their own into `<output>-marked`, as `render --shots`
    /// writes them; a list that names no shot of the project is refused before anything starts.
    func testMarkedShotsRenderIntoAClipOfTheirOwn() async throws {
        try await withClient { client in
            for bad: Any in [[Int](), [0], [4], "2"] {
                let reply = try await client.send("/api/render", method: .post, headers: tokenHeader, body: try body(["shots": bad]))
                XCTAssertEqual(reply.status, .badRequest, "\(bad): \(reply.text)")
            }
            let reply = try await client.send("/api/render", method: .post, headers: tokenHeader, body: try body(["shots": [3, 2, 3]]))
            XCTAssertEqual(reply.status, .ok, reply.text)
            var render: [String: Any] = [:]
            for _ in 0..<1200 {
                let status = try await client.send("/api/status")
                render = try XCTUnwrap(try object(status)["render"] as? [String: Any])
                if render["state"] as? String != "running" { break }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            XCTAssertEqual(render["state"] as? String, "done", "\(render)")
            XCTAssertEqual(render["output"] as? String, "film-color-marked.mkv")
            XCTAssertEqual(render["shots"] as? Int, 2)
            let reader = try MediaReader(url: dir.appendingPathComponent("film-color-marked.mkv"))
            var frames = 0
            while try reader.nextFrame() != nil { frames += 1 }
            XCTAssertEqual(frames, 88, "shots 2 and 3, 44 frames each")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("film-color.mkv").path))
            let again = try await client.send("/api/render", method: .post, headers: tokenHeader, body: try body(["shots": [2]]))
            XCTAssertEqual(again.status, .conflict, "an existing clip is not replaced unasked")
            XCTAssertEqual(try object(again)["exists"] as? Bool, true)
        }
    }

    /// DNS rebinding: a request naming another host is refused, even on loopback.
    func testOnlyLoopbackHostNamesAreAnswered() async throws {
        try await withClient { client in
            for (authority, status) in [("attacker.example:8790", HTTPResponse.Status.forbidden), ("127.0.0.1.attacker.example", .forbidden),
                                        ("localhost:8790", .ok), ("127.0.0.1:8790", .ok), ("[::1]:8790", .ok), ("LOCALHOST", .ok)] {
                let reply = try await client.send("/api/status", headers: [HTTPField.Name("Host")!: authority])
                XCTAssertEqual(reply.status, status, authority)
            }
        }
    }
}
