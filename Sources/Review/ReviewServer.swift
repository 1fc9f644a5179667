import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import KinecolorFiles
import KinecolorPipeline

/// `kinecolor review`: a project file as a worktable in the browser (Docs/review.md).
public struct ReviewServer: Sendable {
    public struct Configuration: Sendable {
        public var project: URL
        /// The film a render started from the page writes.
        public var output: URL
        public var workDirectory: URL
        /// nil: 127.0.0.1 and ::1 only.
        public var host: String?
        public var port: Int
        /// The per-run secret the page must send with every change.
        public var token: String

        public init(project: URL, output: URL, workDirectory: URL, host: String?, port: Int, token: String) {
            self.project = project
            self.output = output
            self.workDirectory = workDirectory
            self.host = host
            self.port = port
            self.token = token
        }
    }

    /// A request body larger than this is refused: a painted 8K frame as a 16-bit PNG fits.
    static let maxUpload = 64 << 20

    let configuration: Configuration
    let workshop: Workshop
    let page: Page

    /// Reads the project once (a malformed one is refused before anything listens) and the page.
    public init(_ configuration: Configuration, opener: @escaping RenderOpener) throws {
        self.configuration = configuration
        let file = ProjectFile(url: configuration.project)
        _ = try Project.load(configuration.project)
        workshop = Workshop(file: file, opener: opener, workDirectory: configuration.workDirectory, output: configuration.output)
        page = Page(title: configuration.project.lastPathComponent, token: configuration.token)
    }

    /// A new random token, 128 bits in hexadecimal.
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// The routes, behind the Host and token checks.
    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ErrorReplies())
        router.add(middleware: LoopbackHost(extra: configuration.host))
        router.add(middleware: TokenCheck(token: configuration.token))
        Routes(workshop: workshop, page: page, configuration: configuration).add(to: router)
        return router
    }

    /// The application Hummingbird runs (also what the tests drive).
    func application(address: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(address, port: port), serverName: nil),
                    onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
                    logger: Self.quietLogger)
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "kinecolor-review")
        logger.logLevel = .critical
        return logger
    }

    /// Serves until `shouldStop` turns true (checked a few times a second), then stops a render in
    /// progress (its finished shots stay) and returns. `listening` gets the addresses once the
    /// server answers.
    public func run(shouldStop: @escaping @Sendable () -> Bool, listening: @escaping @Sendable ([String]) -> Void) async throws {
        let addresses = configuration.host.map { [$0] } ?? ["127.0.0.1"] + (Self.loopbackV6Works() ? ["::1"] : [])
        let port = try Self.freePort(configuration.port, host: addresses[0])
        let started = Counter(addresses.count)
        var services: [any Service] = []
        for address in addresses {
            services.append(application(address: address, port: port) { _ in
                if started.countDown() {
                    listening(addresses.map { "http://\($0.contains(":") ? "[\($0)]" : $0):\(port)/" })
                }
            })
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [], logger: Self.quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                while !shouldStop() { try await Task.sleep(for: .milliseconds(200)) }
                await group.triggerGracefulShutdown()
            }
            // The group ends after its graceful shutdown has let the servers close their connections.
            do {
                try await group.run()
            } catch {
                tasks.cancelAll()
                throw ReviewStartError("cannot listen on port \(port) (\(error))")
            }
            tasks.cancelAll()
        }
        workshop.render.stop()
        while workshop.render.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
    }

    /// `port`, checked free on `host` (a one-line error naming it when not), or a free one for 0.
    static func freePort(_ port: Int, host: String) throws -> Int {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let info = found else {
            throw ReviewStartError("--host \(host): not an IP address")
        }
        defer { freeaddrinfo(info) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { throw ReviewStartError("cannot open a socket (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        // As the server will: a port left in TIME_WAIT by an earlier run is free.
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let reason = errno == EADDRINUSE ? "is in use; give another with --port" : "cannot be used (\(String(cString: strerror(errno))))"
            throw ReviewStartError("port \(port) on \(host) \(reason)")
        }
        guard port == 0 else { return port }
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        // sockaddr_in and sockaddr_in6 both keep the port right after the family, big-endian.
        return withUnsafeBytes(of: &bound) { Int($0[2]) << 8 | Int($0[3]) }
    }

    /// Whether this machine has IPv6 loopback (containers often have none).
    static func loopbackV6Works() -> Bool {
        (try? freePort(0, host: "::1")) != nil
    }
}

/// The server could not start; one line for the user.
public struct ReviewStartError: Error, CustomStringConvertible {
    public let description: String
    init(_ message: String) { description = message }
}

/// Counts the listeners that came up, so the address is printed once all of them answer.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var left: Int
    init(_ count: Int) { left = count }
    /// True for the call that brings the count to zero.
    func countDown() -> Bool { lock.withLock { left -= 1; return left == 0 } }
}

/// The page's three files, compiled in (Package.swift); the token is written into the HTML.
struct Page: Sendable {
    let html: Data
    let script: Data
    let style: Data

    init(title: String, token: String) {
        let escaped = title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        let text = String(decoding: PackageResources.index_html, as: UTF8.self)
            .replacingOccurrences(of: "{{TOKEN}}", with: token).replacingOccurrences(of: "{{TITLE}}", with: escaped)
        html = Data(text.utf8)
        script = Data(PackageResources.review_js)
        style = Data(PackageResources.review_css)
    }
}
