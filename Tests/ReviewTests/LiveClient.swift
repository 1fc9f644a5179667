import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import NIOCore
import Synchronization

/// A reply as the tests read it.
struct Reply: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: ByteBuffer
    var text: String { String(buffer: body) }
}

struct ClientError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A minimal HTTP/1.1 client over a plain TCP socket to the review server on 127.0.0.1.
///
/// Why not an HTTP client library: the path tests need the request target sent exactly as written
/// (`/../Package.swift` must reach the server unnormalized) and the Host test needs any Host
/// header; a socket does both, and the test build no longer compiles an HTTP client, TLS and
/// HTTP/2 stack for it (minutes of CI on 2 cores).
struct LiveClient: Sendable {
    let port: Int

    func send(_ target: String, method: HTTPRequest.Method = .get, headers: HTTPFields = [:],
              body: ByteBuffer? = nil) async throws -> Reply {
        var fields = headers
        if !fields.contains(where: { $0.name.canonicalName == "host" }) {
            fields.append(HTTPField(name: HTTPField.Name("Host")!, value: "127.0.0.1:\(port)"))
        }
        fields[.connection] = "close"  // the reply ends where the connection does
        if let body { fields[.contentLength] = String(body.readableBytes) }
        var head = "\(method.rawValue) \(target) HTTP/1.1\r\n"
        for field in fields { head += "\(field.name.rawName): \(field.value)\r\n" }
        var request = Array((head + "\r\n").utf8)
        if let body { request += body.readableBytesView }
        let bytes = request, port = self.port
        let raw = try await withCheckedThrowingContinuation { (done: CheckedContinuation<[UInt8], any Error>) in
            // Blocking socket calls get their own thread, off the pool the server's handlers run on.
            Thread { done.resume(with: Result { try Self.exchange(bytes, port: port) }) }.start()
        }
        return try Self.parse(raw)
    }

    /// Sends `request` and reads until the server closes the connection (60 s at most per read).
    static func exchange(_ request: [UInt8], port: Int) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError("socket: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw ClientError("connect to port \(port): errno \(errno)") }
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { sendBytes(fd, $0) }
            guard n > 0 else { throw ClientError("send: errno \(errno)") }
            sent += n
        }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return reply }
            guard n > 0 else { throw ClientError("recv after \(reply.count) bytes: errno \(errno)") }
            reply += chunk[..<n]
        }
    }

    /// Status line, header fields and body (de-chunked) of one HTTP/1.1 reply.
    static func parse(_ raw: [UInt8]) throws -> Reply {
        guard let end = raw.firstRange(of: [13, 10, 13, 10]) else {
            throw ClientError("no end of the header in \(raw.count) bytes")
        }
        let lines = String(decoding: raw[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let status = lines[0].split(separator: " ", maxSplits: 2)
        guard status.count >= 2, let code = Int(status[1]) else { throw ClientError("status line \(lines[0])") }
        var fields = HTTPFields()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), let name = HTTPField.Name(String(line[..<colon])) else { continue }
            fields.append(HTTPField(name: name, value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var body = Array(raw[end.upperBound...])
        if fields[.transferEncoding]?.lowercased() == "chunked" { body = try dechunk(body) }
        return Reply(status: HTTPResponse.Status(code: code), headers: fields, body: ByteBuffer(bytes: body))
    }

    static func dechunk(_ data: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var at = 0
        while true {
            guard let line = data[at...].firstRange(of: [13, 10]) else { throw ClientError("cut-off chunk at \(at)") }
            let text = String(decoding: data[at..<line.lowerBound], as: UTF8.self).prefix { $0 != ";" }
            guard let size = Int(text.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw ClientError("chunk size \(text)")
            }
            if size == 0 { return out }
            guard line.upperBound + size + 2 <= data.count else { throw ClientError("cut-off chunk at \(at)") }
            out += data[line.upperBound..<line.upperBound + size]
            at = line.upperBound + size + 2
        }
    }
}

/// `send(2)` without SIGPIPE (a file-scope function, where the struct's own `send` does not hide it).
private func sendBytes(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
}

/// Set once the test is done; the server checks it a few times a second.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}
