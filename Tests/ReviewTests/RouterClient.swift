import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded

/// Sends requests straight to the review server's router, as Hummingbird's own router test
/// framework does, without a socket. HummingbirdTesting itself links an HTTP client and TLS
/// (BoringSSL), minutes of CI's build for what these tests need; this is the same few calls.
struct RouterClient {
    let responder: RouterResponder<BasicRequestContext>

    init(_ router: Router<BasicRequestContext>) {
        responder = router.buildResponder()
    }

    struct Reply {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer
        var text: String { String(buffer: body) }
    }

    /// `authority` is what the Host header says.
    func execute(_ uri: String, method: HTTPRequest.Method = .get, authority: String = "localhost",
                 headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> Reply {
        var fields = headers
        if let body { fields[.contentLength] = String(body.readableBytes) }
        let request = Request(head: HTTPRequest(method: method, scheme: "http", authority: authority, path: uri, headerFields: fields),
                              body: RequestBody(buffer: body ?? ByteBuffer()))
        let context = BasicRequestContext(source: .init(channel: NIOAsyncTestingChannel(), logger: Logger(label: "review-test")))
        let response = try await responder.respond(to: request, context: context)
        let collected = Collected()
        try await response.body.write(Collector(into: collected))
        return Reply(status: response.status, headers: response.headers, body: collected.body)
    }

    // Filled by the writer while the response is written, read after: one task at a time.
    private final class Collected: @unchecked Sendable {
        var body = ByteBuffer()
    }

    /// The body writer is consumed by the response, so it fills a box the client keeps.
    private struct Collector: ResponseBodyWriter {
        let into: Collected
        mutating func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            into.body.writeBuffer(&buffer)
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
