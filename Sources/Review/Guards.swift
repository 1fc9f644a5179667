import Foundation
import HTTPTypes
import Hummingbird

/// A refusal the page shows as one line: `{"error": "…"}` with its status. `stale`: the project
/// file changed on disk since the page read it, so the page reloads instead of retrying.
struct ReviewError: Error, CustomStringConvertible {
    let status: HTTPResponse.Status
    let description: String
    var stale = false
    var exists = false

    init(_ status: HTTPResponse.Status, _ message: String, stale: Bool = false, exists: Bool = false) {
        self.status = status
        description = message
        self.stale = stale
        self.exists = exists
    }

    static let staleProject = ReviewError(.conflict, "the project file changed on disk since the page read it; reloaded",
                                          stale: true)
}

enum Reply {
    /// `value` is built from JSON types (dictionaries, arrays, strings, numbers, booleans, NSNull).
    static func json(_ value: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return bytes(data, type: "application/json; charset=utf-8", status: status)
    }

    static func bytes(_ data: Data, type: String, status: HTTPResponse.Status = .ok,
                      extra: [(HTTPField.Name, String)] = []) -> Response {
        var headers: HTTPFields = [.contentType: type, .cacheControl: "no-store"]
        for (name, value) in extra { headers[name] = value }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Every failure becomes a JSON line; nothing reaches the client as a stack or a framework page.
struct ErrorReplies<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ReviewError {
            var body: [String: Any] = ["error": error.description]
            if error.stale { body["stale"] = true }
            if error.exists { body["exists"] = true }
            return Reply.json(body, status: error.status)
        } catch let error as HTTPError {
            return Reply.json(["error": error.body ?? error.status.reasonPhrase], status: error.status)
        } catch {
            return Reply.json(["error": "\(error)"], status: .internalServerError)
        }
    }
}

/// DNS rebinding: a page on another site that resolves its own name to 127.0.0.1 reaches this
/// server with its own name in Host. Only loopback names (and an address given with --host) pass.
struct LoopbackHost<Context: RequestContext>: RouterMiddleware {
    let allowed: Set<String>

    init(extra: String?) {
        var names: Set<String> = ["localhost", "127.0.0.1", "::1"]
        if let extra { names.insert(extra.lowercased()) }
        allowed = names
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authority = request.head.authority, allowed.contains(Self.host(of: authority)) else {
            throw ReviewError(.forbidden, "this server answers only to localhost (Host: \(request.head.authority ?? "none"))")
        }
        return try await next(request, context)
    }

    /// The host part of `name[:port]` or `[v6]:port`, lowercased, without brackets.
    static func host(of authority: String) -> String {
        let text = authority.lowercased()
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return text }
            return String(text[text.index(after: text.startIndex)..<close])
        }
        return String(text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }
}

/// A request that changes anything carries this run's token, which only the page itself has read:
/// another site can send a form here, but it cannot know the token.
struct TokenCheck<Context: RequestContext>: RouterMiddleware {
    static var header: HTTPField.Name { HTTPField.Name("X-Kinecolor-Token")! }
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method != .get && request.method != .head {
            guard let given = request.headers[Self.header], Self.same(given, token) else {
                throw ReviewError(.forbidden, "missing or wrong X-Kinecolor-Token; reload the page")
            }
        }
        return try await next(request, context)
    }

    /// Compares in time that does not depend on where the strings differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
