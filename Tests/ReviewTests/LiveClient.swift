import Foundation
import HTTPTypes
import LoopbackHTTP
import NIOCore
import Synchronization

/// A reply as the tests read it.
struct Reply: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: ByteBuffer
    var text: String { String(buffer: body) }
}

/// The review server on 127.0.0.1:`port`, over a plain socket (LoopbackHTTP): the request target
/// goes out exactly as written and any Host header can be sent.
struct LiveClient: Sendable {
    let port: Int

    func send(_ target: String, method: HTTPRequest.Method = .get, headers: HTTPFields = [:],
              body: ByteBuffer? = nil) async throws -> Reply {
        let fields = headers.map { ($0.name.rawName, $0.value) }
        let bytes = body.map { Array($0.readableBytesView) }, port = self.port
        let reply = try await withCheckedThrowingContinuation { (done: CheckedContinuation<LoopbackHTTP.Reply, any Error>) in
            // Blocking socket calls get their own thread, off the pool the server's handlers run on.
            Thread {
                done.resume(with: Result {
                    try LoopbackHTTP.exchange(method.rawValue, port: port, target: target, fields: fields, body: bytes, timeout: 60)
                })
            }.start()
        }
        var headers = HTTPFields()
        for (name, value) in reply.fields {
            if let name = HTTPField.Name(name) { headers.append(HTTPField(name: name, value: value)) }
        }
        return Reply(status: HTTPResponse.Status(code: reply.status), headers: headers, body: ByteBuffer(bytes: reply.body))
    }
}

/// Set once the test is done; the server checks it a few times a second.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}
