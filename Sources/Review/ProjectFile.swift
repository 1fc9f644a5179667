import Foundation
import KinecolorFiles
import KinecolorPipeline

/// The project file as the page edits it. Each edit reads the file, checks that it is the version
/// the page saw (a hand edit or another tab wins: the page reloads instead of overwriting), applies
/// the change, checks the result as `render` would read it, and puts it in place atomically.
/// The bytes before each edit are kept for undo.
final class ProjectFile: @unchecked Sendable {
    let url: URL
    private let lock = NSLock()
    private var history: [Data] = []

    init(url: URL) {
        self.url = url
    }

    /// A file's version: the SHA-256 of its bytes.
    static func version(of data: Data) -> String { SHA256.hex(of: data) }

    func read() throws -> (project: Project, version: String) {
        let data = try bytes()
        return (try Project.decode(data, name: url.lastPathComponent), Self.version(of: data))
    }

    var canUndo: Bool { lock.withLock { !history.isEmpty } }

    /// Applies `change` to the file, if it is still `version`; returns the new project and version.
    func edit(expecting version: String, _ change: (inout Project) throws -> Void) throws -> (project: Project, version: String) {
        try lock.withLock {
            let data = try bytes()
            guard Self.version(of: data) == version else { throw ReviewError.staleProject }
            var project = try Project.decode(data, name: url.lastPathComponent)
            try change(&project)
            let next = try project.encoded()
            // What `render` will read: the same checks, so the page can never write a file it refuses.
            do {
                _ = try Project.decode(next, name: url.lastPathComponent)
            } catch {
                throw ReviewError(.badRequest, "\(error)")
            }
            try AtomicFile.write(next, to: url, overwrite: true)
            history.append(data)
            return (project, Self.version(of: next))
        }
    }

    /// Puts back the file as it was before this server's last edit, if it is still `version`.
    func undo(expecting version: String) throws {
        try lock.withLock {
            guard let previous = history.last else { throw ReviewError(.conflict, "nothing to undo") }
            guard Self.version(of: try bytes()) == version else { throw ReviewError.staleProject }
            try AtomicFile.write(previous, to: url, overwrite: true)
            history.removeLast()
        }
    }

    private func bytes() throws -> Data {
        do {
            return try FileHead.read(url, upTo: 64 << 20)
        } catch {
            throw ReviewError(.internalServerError, "\(url.lastPathComponent): cannot read (\(AtomicFile.reason(error)))")
        }
    }
}
