import Foundation
import Hummingbird
import HummingbirdTesting
import KinecolorFiles
import KinecolorMedia
import KinecolorModel
import KinecolorPipeline
import XCTest
@testable import KinecolorReview

/// The review server's HTTP API (Docs/review.md) on a real project: the bundled sample, planned
/// with three shots, rendered by the tiny test model at a small size.
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

    func object(_ response: TestResponse) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any],
                      String(buffer: response.body))
    }

    func body(_ value: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: value))
    }

    func shotEntries() throws -> [[String: Any]] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: projectURL)) as! [String: Any]
        return json["shots"] as! [[String: Any]]
    }

    func testListsEveryShotAndServesThePage() async throws {
        let app = try server().application(address: "127.0.0.1", port: 0)
        try await app.test(.router) { client in
            let project = try await client.execute(uri: "/api/project", method: .get) { try self.object($0) }
            let shots = try XCTUnwrap(project["shots"] as? [[String: Any]])
            XCTAssertEqual(shots.map { $0["shot"] as? Int }, [1, 2, 3])
            XCTAssertEqual(shots.map { $0["start_frame"] as? Int }, [1, 45, 89])
            XCTAssertEqual(shots[1]["frames"] as? Int, 44)
            XCTAssertEqual(project["version"] as? String, SHA256.hex(of: try Data(contentsOf: self.projectURL)))
            // The thumbnail: a PNG of the frame to paint, at most 320 wide.
            let thumbnail = try XCTUnwrap(shots[0]["thumbnail"] as? String)
            try await client.execute(uri: thumbnail, method: .get) { response in
                XCTAssertEqual(response.status, .ok, String(buffer: response.body))
                XCTAssertEqual(response.headers[.contentType], "image/png")
                XCTAssertEqual(Array(response.body.readableBytesView.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
            }
            // The page carries this run's token.
            try await client.execute(uri: "/", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertTrue(String(buffer: response.body).contains(self.token))
            }
        }
    }

    func testChoosingACandidateWritesTheProjectAndUndoPutsItBack() async throws {
        let app = try server().application(address: "127.0.0.1", port: 0)
        let before = try Data(contentsOf: projectURL)
        try await app.test(.router) { client in
            let grid = try await client.execute(uri: "/api/shots/2/candidates", method: .get) { try self.object($0) }
            let cells = try XCTUnwrap(grid["cells"] as? [[String: Any]])
            XCTAssertEqual(cells.count, 9)
            XCTAssertEqual(cells.filter { $0["current"] as? Bool == true }.count, 1)
            let pick = try XCTUnwrap(cells.first { $0["current"] as? Bool == false && $0["class"] as? String != "class3" })
            try await client.execute(uri: pick["image"] as! String, method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(Array(response.body.readableBytesView.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
            }
            let version = SHA256.hex(of: before)
            let edited = try await client.execute(uri: "/api/shots/2", method: .post, headers: self.tokenHeader,
                                                  body: try self.body(["version": version, "class": pick["class"]!, "seed": pick["seed"]!])) {
                XCTAssertEqual($0.status, .ok, String(buffer: $0.body))
                return try self.object($0)
            }
            let shots = try self.shotEntries()
            XCTAssertEqual(shots[1]["class"] as? String, pick["class"] as? String)
            XCTAssertEqual(shots[1]["seed"] as? Int, pick["seed"] as? Int)
            XCTAssertEqual(shots[0]["class"] as? String, "class3")
            XCTAssertEqual(edited["can_undo"] as? Bool, true)
            XCTAssertEqual(edited["version"] as? String, SHA256.hex(of: try Data(contentsOf: self.projectURL)))
            // What render reads.
            XCTAssertEqual(try Project.load(self.projectURL).shots[1].class, pick["class"] as? String)

            try await client.execute(uri: "/api/undo", method: .post, headers: self.tokenHeader,
                                     body: try self.body(["version": edited["version"]!])) {
                XCTAssertEqual($0.status, .ok, String(buffer: $0.body))
            }
            XCTAssertEqual(try Data(contentsOf: self.projectURL), before)
        }
    }

    func testAStaleEditIsRefusedAndTheHandEditKept() async throws {
        let app = try server().application(address: "127.0.0.1", port: 0)
        let version = SHA256.hex(of: try Data(contentsOf: projectURL))
        // Edited by hand after the page read it.
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: projectURL)) as! [String: Any]
        var shots = json["shots"] as! [[String: Any]]
        shots[0]["notes"] = "edited by hand"
        json["shots"] = shots
        try JSONSerialization.data(withJSONObject: json).write(to: projectURL)
        let handEdited = try Data(contentsOf: projectURL)
        try await app.test(.router) { client in
            let reply = try await client.execute(uri: "/api/shots/1", method: .post, headers: self.tokenHeader,
                                                 body: try self.body(["version": version, "skip": true])) {
                XCTAssertEqual($0.status, .conflict)
                return try self.object($0)
            }
            XCTAssertEqual(reply["stale"] as? Bool, true)
        }
        XCTAssertEqual(try Data(contentsOf: projectURL), handEdited)
    }

    func testChangesNeedThisRunsToken() async throws {
        let app = try server().application(address: "127.0.0.1", port: 0)
        let before = try Data(contentsOf: projectURL)
        let edit = try body(["version": SHA256.hex(of: before), "skip": true])
        try await app.test(.router) { client in
            for headers: HTTPFields in [[:], [TokenCheck<BasicRequestContext>.header: "0123456789abcdef0123456789abcdee"]] {
                try await client.execute(uri: "/api/shots/1", method: .post, headers: headers, body: edit) { response in
                    XCTAssertEqual(response.status, .forbidden)
                    XCTAssertTrue(String(buffer: response.body).contains("X-Kinecolor-Token"))
                }
            }
            try await client.execute(uri: "/api/render", method: .post, body: try self.body([:])) {
                XCTAssertEqual($0.status, .forbidden)
            }
        }
        XCTAssertEqual(try Data(contentsOf: projectURL), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("film-color.mkv").path))
    }

    func testNoRequestReachesAFileByItsPath() async throws {
        let app = try server().application(address: "127.0.0.1", port: 0)
        try await app.test(.router) { client in
            for uri in ["/../Package.swift", "/page/..%2F..%2FPackage.swift", "/page/index.html",
                        "/api/shots/1/candidates/..%2F..%2F..%2Fetc%2Fpasswd", "/api/shots/1/candidates/0123456789abcdeg",
                        "/api/shots/%2E%2E/thumbnail", "/api/shots/9/thumbnail", "/api/shots/0/paint"] {
                try await client.execute(uri: uri, method: .get) { response in
                    XCTAssertEqual(response.status, .notFound, uri)
                    XCTAssertFalse(String(buffer: response.body).contains("root:"), uri)
                }
            }
        }
    }

    func testUploadsMustBeImagesOfBoundedSize() async throws {
        let app = try server().application(address: "127.0.0.1", port: 0)
        let version = SHA256.hex(of: try Data(contentsOf: projectURL))
        let dir = self.dir!
        @Sendable func colored(_ name: String, gray: Bool = false) throws -> Data {
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
        try await app.test(.router) { client in
            let uri = "/api/shots/2/references?frame=60&version=\(version)"
            let cases: [(Data, HTTPResponse.Status, String)] = [
                (Data(repeating: 0x89, count: ReviewServer.maxUpload + 1), .contentTooLarge, "larger than"),
                (Data("GIF89a, or just text pretending".utf8), .unsupportedMediaType, "not a PNG"),
                (try colored("gray.png", gray: true), .unprocessableContent, "gray"),
            ]
            for (data, status, words) in cases {
                try await client.execute(uri: uri, method: .post, headers: self.tokenHeader, body: ByteBuffer(bytes: data)) { response in
                    XCTAssertEqual(response.status, status, String(buffer: response.body))
                    XCTAssertTrue(String(buffer: response.body).contains(words), String(buffer: response.body))
                }
            }
            XCTAssertNil(try self.shotEntries()[1]["references"])
            let png = try colored("painted.png")
            let project = try await client.execute(uri: uri, method: .post, headers: self.tokenHeader, body: ByteBuffer(bytes: png)) {
                XCTAssertEqual($0.status, .ok, String(buffer: $0.body))
                return try self.object($0)
            }
            let references = try XCTUnwrap(try self.shotEntries()[1]["references"] as? [[String: Any]])
            XCTAssertEqual(references.first?["frame"] as? Int, 60)
            let stored = try XCTUnwrap(references.first?["image"] as? String)
            XCTAssertEqual(stored, "work/review/uploads/\(SHA256.hex(of: png)).png")
            XCTAssertEqual(try Data(contentsOf: self.dir.appendingPathComponent(stored)), png)
            let listed = (project["shots"] as? [[String: Any]])?[1]["references"] as? [[String: Any]]
            XCTAssertEqual(listed?.first?["frame"] as? Int, 60)
        }
    }

    /// DNS rebinding: a request naming another host is refused, even on loopback.
    func testOnlyLoopbackHostNamesAreAnswered() async throws {
        let app = try server().application(address: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let raw = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(20)))
            raw.connect()
            defer { Task { try? await raw.shutdown() } }
            for (authority, status) in [("attacker.example:\(port)", HTTPResponse.Status.forbidden),
                                        ("127.0.0.1.attacker.example", .forbidden),
                                        ("localhost:\(port)", .ok), ("127.0.0.1:\(port)", .ok), ("[::1]:\(port)", .ok)] {
                let response = try await raw.execute(.init("/api/status", method: .get, authority: authority))
                XCTAssertEqual(response.head.status, status, authority)
            }
        }
    }
}
