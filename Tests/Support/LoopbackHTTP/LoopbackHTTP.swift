import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// HTTP/1.1 to 127.0.0.1 over a plain socket, for the tests that talk to a local server: the review
/// server (ReviewTests) and chromedriver (CLITests).
///
/// Why not URLSession or an HTTP client library: URLSession on Linux (the Swift 6.3 toolchain's)
/// rejects chromedriver's header lines without a space after the colon (`Content-Length:251`;
/// fixed by swift-corelibs-foundation pull request 5527) and normalizes paths, while the review
/// tests must send `/../Package.swift` and other hosts' names exactly as written; a client library
/// would bring a TLS and HTTP/2 stack into the test build (minutes of CI on 2 cores).
public enum LoopbackHTTP {
    public struct Reply: Sendable {
        public let status: Int
        /// The header fields in order, names as sent.
        public let fields: [(name: String, value: String)]
        public let body: [UInt8]

        public func field(_ name: String) -> String? {
            fields.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Sends one request (`Connection: close`, a Host of 127.0.0.1 unless `fields` names one) and
    /// returns the reply once its Content-Length is read, its last chunk has come or the server
    /// closes the connection. Blocks; `timeout` bounds each read.
    public static func exchange(_ method: String, port: Int, target: String, fields: [(String, String)] = [],
                                body: [UInt8]? = nil, timeout: TimeInterval = 30) throws -> Reply {
        var head = "\(method) \(target) HTTP/1.1\r\n"
        if !fields.contains(where: { $0.0.lowercased() == "host" }) { head += "Host: 127.0.0.1:\(port)\r\n" }
        for (name, value) in fields { head += "\(name): \(value)\r\n" }
        head += "Connection: close\r\n"
        if let body { head += "Content-Length: \(body.count)\r\n" }
        let fd = try openSocket(port: port, timeout: timeout)
        defer { close(fd) }
        try sendAll(fd, Array((head + "\r\n").utf8) + (body ?? []))
        var reply = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            if let whole = try complete(reply) { return whole }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0, let head = parseHead(reply) {
                return Reply(status: head.status, fields: head.fields, body: Array(reply[head.bodyStart...]))
            }
            guard n > 0 else {
                throw Failure("no whole reply from 127.0.0.1:\(port)\(target) within \(Int(timeout)) s (errno \(errno))")
            }
            reply += buffer[0..<n]
        }
    }

    static func openSocket(port: Int, timeout: TimeInterval) throws -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure("socket: errno \(errno)") }
        var wait = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure("cannot connect to 127.0.0.1:\(port): errno \(errno)")
        }
        return fd
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            // MSG_NOSIGNAL: a server that has closed gives an error here, not SIGPIPE.
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure("writing to the server: errno \(errno)") }
            sent += n
        }
    }

    /// The reply, if `raw` already holds all of it by its Content-Length or its chunks.
    static func complete(_ raw: [UInt8]) throws -> Reply? {
        guard let head = parseHead(raw) else { return nil }
        let rest = Array(raw[head.bodyStart...])
        let field = { (name: String) in head.fields.first { $0.name.lowercased() == name }?.value }
        if field("transfer-encoding")?.lowercased() == "chunked" {
            return try dechunk(rest).map { Reply(status: head.status, fields: head.fields, body: $0) }
        }
        if let length = field("content-length").flatMap({ Int($0) }), rest.count >= length {
            return Reply(status: head.status, fields: head.fields, body: Array(rest[..<length]))
        }
        return nil
    }

    static func parseHead(_ raw: [UInt8]) -> (status: Int, fields: [(name: String, value: String)], bodyStart: Int)? {
        guard let end = raw.firstRange(of: [13, 10, 13, 10]) else { return nil }
        let lines = String(decoding: raw[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        guard let status = lines[0].split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        let fields = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return (status, fields, end.upperBound)
    }

    /// The body of a chunked transfer, or nil while its last chunk has not come.
    static func dechunk(_ data: [UInt8]) throws -> [UInt8]? {
        var out = [UInt8]()
        var at = 0
        while true {
            guard let line = data[at...].firstRange(of: [13, 10]) else { return nil }
            let text = String(decoding: data[at..<line.lowerBound], as: UTF8.self).prefix { $0 != ";" }
            guard let size = Int(text.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw Failure("bad chunk size \(text)")
            }
            if size == 0 { return out }
            guard line.upperBound + size + 2 <= data.count else { return nil }
            out += data[line.upperBound..<line.upperBound + size]
            at = line.upperBound + size + 2
        }
    }
}
