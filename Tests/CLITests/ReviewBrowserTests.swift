import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LoopbackHTTP
import XCTest

/// `kinecolor review` in a real browser: Debian's headless chromium driven by chromedriver over the
/// W3C WebDriver protocol (plain JSON over HTTP, no Selenium). The page's element contracts it relies
/// on: cards `[data-shot="N"]` each with one thumbnail `img`; candidates `#candidates img.candidate`
/// with `data-class`/`data-seed` (the chosen one also `.current`); the file input
/// `input[data-field="reference"]`; references `[data-reference-frame]`.
final class ReviewBrowserTests: XCTestCase {
    static let chromium = "/usr/bin/chromium"
    static let chromedriver = "/usr/bin/chromedriver"
    let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path
    var dir: URL!
    var children: [Child] = []
    var driver: WebDriver?

    override func setUpWithError() throws {
        for tool in [Self.chromium, Self.chromedriver] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is not installed (apt-get install chromium chromium-driver)")
        }
        dir = try CLI.temporaryDirectory()
    }

    override func tearDown() async throws {
        await driver?.quit()
        driver = nil
        for child in children.reversed() { child.stop() }
        // Chromium's processes outlive a killed chromedriver: end those of this test's profile.
        if let dir { Child.killProcesses(mentioning: dir.appendingPathComponent("profile").path) }
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func testPickACandidateAndUploadAReferenceInChromium() async throws {
        let project = path("p.kcproj.json")
        // The screenshot for Docs shows the product: the embedded model at its own size (slower).
        let screenshotting = !(ProcessInfo.processInfo.environment["KINECOLOR_SCREENSHOT"] ?? "").isEmpty
        let color = screenshotting ? [] : ["--model", model, "--class", "3", "--size", "64"]
        let plan = try CLI.run(["plan", CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path, "-o", project,
                                "-q"] + color)
        XCTAssertEqual(plan.status, 0, plan.stderr)
        XCTAssertEqual(try shots(project).count, 3)

        let server = try Child.start(CLI.binary.path, ["review", project, "--port", "0", "--work", path("work")])
        children.append(server)
        let serverLine = try await server.waitForLine(containing: "http://", timeout: 60)
        let token = try XCTUnwrap(serverLine.split(separator: " ").first { $0.hasPrefix("http://") }, "no address in: \(serverLine)")
        let root = String(token).trimmingCharacters(in: CharacterSet(charactersIn: "/.,;)"))  // http://127.0.0.1:PORT

        let chromedriver = try Child.start(Self.chromedriver, ["--port=0"])
        children.append(chromedriver)
        let started = try await chromedriver.waitForLine(containing: "started successfully on port", timeout: 30)
        let port = try XCTUnwrap(Int(started.split(separator: " ").last?.trimmingCharacters(in: .punctuationCharacters) ?? ""),
                                 started)
        let driver = try await WebDriver.start(port: port, profile: path("profile"))
        self.driver = driver
        try await driver.navigate(to: root + "/")

        // One card per shot, each with its thumbnail rendered and shown.
        let widths = try await poll("3 cards with their thumbnails", timeout: 120, server: server) { () -> [Int]? in
            let w = try await driver.script("""
                return [...document.querySelectorAll('[data-shot]')].map(c => {
                  const img = c.querySelector('img'); return img && img.complete ? img.naturalWidth : 0; });
                """) as? [Int] ?? []
            return w.count == 3 && w.allSatisfy { $0 > 0 } ? w : nil
        }
        XCTAssertEqual(widths.count, 3)

        // Shot 2: pick a candidate that is not the current one; the project file follows.
        try await driver.click(try await driver.element("[data-shot=\"2\"]"))
        let choice = try await poll("shot 2's candidates", timeout: 90, server: server) { () -> [String]? in
            try await driver.script("""
                const all = [...document.querySelectorAll('#candidates img.candidate')];
                const img = all.find(i => !i.classList.contains('current') && i.complete && i.naturalWidth > 0);
                return all.length > 1 && img ? [img.dataset.class, img.dataset.seed] : null;
                """) as? [String]
        }
        let (chosenClass, chosenSeed) = (choice[0], try XCTUnwrap(Int(choice[1])))
        try await driver.click(try await driver.element("#candidates img.candidate[data-class=\"\(chosenClass)\"][data-seed=\"\(chosenSeed)\"]"))
        _ = try await poll("shot 2 set to \(chosenClass), seed \(chosenSeed) in the project file", timeout: 30, server: server) { () -> Bool? in
            let shot = try self.shots(project)[1]
            return shot["class"] as? String == chosenClass && shot["seed"] as? Int == chosenSeed ? true : nil
        }

        // Upload the frame to paint, as the server gives it, as shot 2's reference.
        let (paint, response) = try await URLSession.shared.data(from: try XCTUnwrap(URL(string: root + "/api/shots/2/paint")))
        XCTAssertEqual((response as? HTTPURLResponse)?.statusCode, 200)
        XCTAssertEqual(Array(paint.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "not a PNG")
        let painted = dir.appendingPathComponent("painted shot 2.png")
        try paint.write(to: painted)
        try await driver.sendKeys(try await driver.element("input[data-field=\"reference\"]"), painted.path)
        _ = try await poll("the reference listed on the page and in the project file", timeout: 60, server: server) { () -> Bool? in
            let listed = try await driver.script("return document.querySelectorAll('[data-reference-frame]').length") as? Int ?? 0
            let references = try self.shots(project)[1]["references"] as? [[String: Any]] ?? []
            return listed > 0 && !references.isEmpty ? true : nil
        }
        // The page shows the painted picture itself, loaded.
        _ = try await poll("the reference's picture shown", timeout: 30, server: server) { () -> Bool? in
            try await driver.script("""
                const img = document.querySelector('[data-reference-frame] img.reference-picture');
                return img !== null && img.complete && img.naturalWidth > 0 && img.naturalWidth <= 320;
                """) as? Bool == true ? true : nil
        }

        // Mark shot 2 for "Render marked": its card says so and the button counts it.
        try await driver.click(try await driver.element("input[data-field=\"mark\"]"))
        _ = try await poll("shot 2 marked", timeout: 10, server: server) { () -> Bool? in
            try await driver.script("""
                return document.querySelector('[data-shot="2"]').classList.contains('marked')
                  && document.querySelector('[data-action="render-marked"]').textContent === 'Render marked (1)'
                  && !document.querySelector('[data-action="render-marked"]').disabled;
                """) as? Bool == true ? true : nil
        }

        try await keysUndoAndAStaleFile(driver, project: project, server: server)

        if let screenshot = ProcessInfo.processInfo.environment["KINECOLOR_SCREENSHOT"], !screenshot.isEmpty {
            // For the picture, not the test: shot 2's new thumbnail and candidates shown (they render again).
            _ = try? await poll("the page settled", timeout: 60, server: server) { () -> Bool? in
                try await driver.script("""
                    return document.querySelectorAll('.thumb-holder.loading').length === 0
                      && document.getElementById('candidate-status').textContent === '';
                    """) as? Bool == true ? true : nil
            }
            try await driver.screenshot().write(to: URL(fileURLWithPath: screenshot))
        }
        await driver.quit()
        self.driver = nil

        // Ctrl-C: a clean exit, and the project file whole.
        let status = try await server.interrupt(timeout: 10)
        XCTAssertEqual(status, 0, "server exit status; stderr: \(server.stderr)")
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: project))))
    }

    /// With shot 2 open: s skips it and u undoes that (the project file follows both), j and k
    /// move to shot 3 and back; then the file is edited on disk, and the next edit from the page is
    /// refused as stale: the page says so and shows the file as it now is, which keeps its change.
    func keysUndoAndAStaleFile(_ driver: WebDriver, project: String, server: Child) async throws {
        func key(_ name: String) async throws {
            _ = try await driver.script("document.dispatchEvent(new KeyboardEvent('keydown', {key: '\(name)', bubbles: true})); return true;")
        }
        func page(_ what: String, _ condition: String) async throws {
            _ = try await poll(what, timeout: 30, server: server) { () -> Bool? in
                try await driver.script("return \(condition);") as? Bool == true ? true : nil
            }
        }
        try await key("s")
        _ = try await poll("s: shot 2 skipped in the project file", timeout: 30, server: server) { () -> Bool? in
            try self.shots(project)[1]["skip"] as? Bool == true ? true : nil
        }
        try await page("the skip shown and undo enabled", """
            document.querySelector('[data-shot="2"]').classList.contains('skipped')
              && !document.querySelector('[data-action="undo"]').disabled
            """)
        try await key("u")
        _ = try await poll("u: the skip undone in the project file", timeout: 30, server: server) { () -> Bool? in
            try self.shots(project)[1]["skip"] as? Bool ?? false ? nil : true
        }
        try await page("the skip undone on the page", "!document.querySelector('[data-shot=\"2\"]').classList.contains('skipped')")
        try await key("j")
        try await page("j: shot 3 open", "document.getElementById('detail-title').textContent === 'Shot 3'")
        try await key("k")
        try await page("k: shot 2 open again", "document.getElementById('detail-title').textContent === 'Shot 2'")

        let url = URL(fileURLWithPath: project)
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var list = try XCTUnwrap(json["shots"] as? [[String: Any]])
        list[0]["seed"] = 42
        json["shots"] = list
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys]).write(to: url)
        try await key("s")
        try await page("the stale edit refused, said and reloaded", """
            document.getElementById('notice-text').textContent.includes('changed on disk')
              && document.querySelector('[data-shot="1"]').textContent.includes('seed 42')
            """)
        XCTAssertEqual(try shots(project)[0]["seed"] as? Int, 42, "the change on disk is kept")
        XCTAssertFalse(try shots(project)[1]["skip"] as? Bool ?? false, "the stale edit was not written")
    }

    func shots(_ project: String) throws -> [[String: Any]] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: project))) as? [String: Any]
        return json?["shots"] as? [[String: Any]] ?? []
    }

    /// Asks `check` every 250 ms until it answers a value; fails naming `what` after `timeout` seconds.
    func poll<T>(_ what: String, timeout: TimeInterval, server: Child, _ check: () async throws -> T?) async throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: Error?
        while Date() < deadline {
            do {
                if let value = try await check() { return value }
            } catch { lastError = error }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        let page = (try? await driver?.script("return document.body.innerText")) as? String ?? "?"
        throw Failure("timed out after \(Int(timeout)) s waiting for \(what); last error: \(lastError.map { "\($0)" } ?? "none"); "
                      + "page text: \(page.prefix(1500)); server stderr: \(server.stderr.suffix(1500))")
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A child process whose output is read as it comes (a pipe left unread would block it).
final class Child: @unchecked Sendable {  // `output` and `errors` are only touched under `lock`
    let process = Process()
    private let lock = NSLock()
    private var output = Data()
    private var errors = Data()

    static func start(_ executable: String, _ arguments: [String]) throws -> Child {
        let child = Child()
        child.process.executableURL = URL(fileURLWithPath: executable)
        child.process.arguments = arguments
        let out = Pipe(), err = Pipe()
        child.process.standardOutput = out
        child.process.standardError = err
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            child.locked { child.output += data }
            if data.isEmpty { handle.readabilityHandler = nil }
        }
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            child.locked { child.errors += data }
            if data.isEmpty { handle.readabilityHandler = nil }
        }
        try child.process.run()
        return child
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    var stdout: String { locked { String(decoding: output, as: UTF8.self) } }
    var stderr: String { locked { String(decoding: errors, as: UTF8.self) } }

    /// The first whole line of stdout or stderr that contains `needle`, as soon as it is printed.
    func waitForLine(containing needle: String, timeout: TimeInterval) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            for text in [stdout, stderr] {
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()  // the last is unfinished
                if let line = lines.first(where: { $0.contains(needle) }) { return String(line) }
            }
            if !process.isRunning {
                throw Failure("\(process.executableURL!.lastPathComponent) exited (\(process.terminationStatus)) before printing "
                              + "'\(needle)'; stdout: \(stdout); stderr: \(stderr)")
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        throw Failure("no line with '\(needle)' within \(Int(timeout)) s; stdout: \(stdout); stderr: \(stderr)")
    }

    /// Sends SIGINT (Ctrl-C) and answers the exit status, or throws when it does not exit in time.
    func interrupt(timeout: TimeInterval) async throws -> Int32 {
        kill(process.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        if process.isRunning { throw Failure("still running \(Int(timeout)) s after SIGINT; stderr: \(stderr.suffix(1500))") }
        return process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
    }

    /// Ends the process if it still runs: SIGTERM, then SIGKILL after 5 s.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    /// SIGKILLs the processes (Linux: read from /proc) whose command line contains `needle`.
    static func killProcesses(mentioning needle: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = Int32(entry), pid != getpid(),
                  let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            if String(decoding: raw, as: UTF8.self).contains(needle) { kill(pid, SIGKILL) }
        }
    }
}

/// The few W3C WebDriver commands the test needs, as JSON over HTTP.
final class WebDriver: Sendable {
    let port: Int
    let session: String
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    private init(port: Int, session: String) {
        self.port = port
        self.session = session
    }

    /// Waits for chromedriver on `port`, then opens headless chromium (1280×800) with its own profile.
    static func start(port: Int, profile: String) async throws -> WebDriver {
        let deadline = Date().addingTimeInterval(30)
        while true {
            if let ready = try? await send("GET", port: port, "/status") as? [String: Any], ready["ready"] as? Bool == true { break }
            if Date() > deadline { throw Failure("chromedriver on port \(port) not ready within 30 s") }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        let args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800",
                    "--user-data-dir=\(profile)", "--no-first-run", "--no-default-browser-check"]
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            "goog:chromeOptions": ["binary": ReviewBrowserTests.chromium, "args": args],
        ]]]
        let value = try await send("POST", port: port, "/session", capabilities, timeout: 60) as? [String: Any]
        guard let session = value?["sessionId"] as? String else { throw Failure("no session in \(String(describing: value))") }
        // The page itself 1280×800 (the window's size counts the browser's own bars): chromedriver's DevTools passage.
        _ = try? await send("POST", port: port, "/session/\(session)/goog/cdp/execute", ["cmd": "Emulation.setDeviceMetricsOverride",
            "params": ["width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false]])
        return WebDriver(port: port, session: session)
    }

    /// One command; answers the reply's `value`, or throws the WebDriver error it names.
    @discardableResult
    static func send(_ method: String, port: Int, _ path: String, _ body: [String: Any]? = nil,
                     timeout: TimeInterval = 30) async throws -> Any? {
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let reply = try LoopbackHTTP.exchange(method, port: port, target: path,
                                              fields: payload == nil ? [] : [("Content-Type", "application/json; charset=utf-8")],
                                              body: payload.map { [UInt8]($0) }, timeout: timeout)
        let (status, data) = (reply.status, Data(reply.body))
        let json = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any]
        let value = json?["value"]
        if status != 200 {
            let error = value as? [String: Any]
            throw Failure("WebDriver \(method) \(path): \(error?["error"] ?? status): \(error?["message"] ?? String(decoding: data, as: UTF8.self))")
        }
        return value is NSNull ? nil : value
    }

    @discardableResult
    func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        try await Self.send(method, port: port, "/session/\(session)\(path)", body)
    }

    func navigate(to url: String) async throws { try await command("POST", "/url", ["url": url]) }

    func element(_ css: String) async throws -> String {
        let value = try await command("POST", "/element", ["using": "css selector", "value": css]) as? [String: Any]
        guard let id = value?[Self.elementKey] as? String else { throw Failure("no element \(css)") }
        return id
    }

    func click(_ element: String) async throws { try await command("POST", "/element/\(element)/click", [:]) }

    func sendKeys(_ element: String, _ text: String) async throws {
        try await command("POST", "/element/\(element)/value", ["text": text])
    }

    func script(_ source: String) async throws -> Any? {
        try await command("POST", "/execute/sync", ["script": source, "args": [Any]()])
    }

    func screenshot() async throws -> Data {
        guard let text = try await command("GET", "/screenshot") as? String, let png = Data(base64Encoded: text) else {
            throw Failure("no screenshot")
        }
        return png
    }

    func quit() async { _ = try? await command("DELETE", "") }
}
