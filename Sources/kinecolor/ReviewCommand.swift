#if canImport(KinecolorReview)
import ArgumentParser
import Foundation
import KinecolorPipeline
import KinecolorReview

struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work through a project shot by shot in the browser (a local review page).",
        usage: "kinecolor review <project> [-o <output>] [--port <port>] [<options>]",
        discussion: """
        Starts a web server on this machine and prints the page's address. Every shot
        is a card with its thumbnail as it will render; choose a class and seed from
        a grid of candidates, skip a shot, paint a reference, play a shot with its
        sound, and render the film. Each edit is written to the project file at once
        (atomically); a file changed by hand meanwhile is reloaded, never overwritten.
        Pictures are cached in the work folder. Ctrl-C stops the server; a render in
        progress keeps its finished shots (Docs/review.md).
        Example: kinecolor review film.kcproj.json
        """)

    @Argument(help: "Project file written by `kinecolor plan`.") var project: String
    @Option(name: .shortAndLong, help: "Film a render from the page writes (default: <project>-color.mkv beside it).") var output: String?
    @Option(help: "Work folder for segments and pictures (default: as `render -o` uses).") var work: String?
    @Option(parsing: .unconditional, help: "Port (default: 8790; 0: any free port).") var port = 8790
    @Option(help: ArgumentHelp("Listen on this address instead of loopback only (anyone who reaches it can edit the project).",
                               valueName: "address"))
    var host: String?
    @Option(help: "Model file; default: the project's model.") var model: String?
    @Option(parsing: .unconditional, help: "Threads for the network (default: all cores).") var threads: Int?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0…65535") }
        try Bounds.check(threads, Bounds.threads, "--threads")
    }

    func run() throws {
        let file = URL(fileURLWithPath: project)
        let out = output.map { URL(fileURLWithPath: $0) } ?? Self.defaultOutput(for: file)
        // Opened once here so that a bad project, film or model is one line before anything listens.
        let job = try ProjectJob.open(project, model: model, threads: threads, work: work, output: out.path)
        try Output.checkWritable(out.path, overwrite: true, inputs: [job.render.project.input.path, project])
        let (projectPath, model, threads, work) = (project, self.model, self.threads, work ?? job.render.workDirectory.path)
        let server = try ReviewServer(
            .init(project: file, output: out, workDirectory: URL(fileURLWithPath: work), host: host, port: port,
                  token: ReviewServer.newToken()),
            opener: { try ProjectJob.open(projectPath, model: model, threads: threads, work: work, output: out.path).render })
        if let host {
            FileHandle.standardError.write(Data("warning: listening on \(host): anyone who can reach it can edit \(file.lastPathComponent)\n".utf8))
        }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await server.run(shouldStop: { Interruption.isRequested }) { addresses in
                    // Unbuffered: a script reading the address waits for this line.
                    FileHandle.standardOutput.write(Data("Review page: \(addresses[0]) (Ctrl-C stops the server)\n".utf8))
                }
            } catch {
                outcome.set(error)
            }
            done.signal()
        }
        done.wait()
        if let error = outcome.error { throw CLIError("\(error)") }
        FileHandle.standardError.write(Data("review stopped; \(file.lastPathComponent) is saved\n".utf8))
    }

    /// `film.kcproj.json` → `film-color.mkv` in the same folder.
    static func defaultOutput(for project: URL) -> URL {
        var name = project.lastPathComponent
        for suffix in [".kcproj.json", ".json"] where name.hasSuffix(suffix) {
            name = String(name.dropLast(suffix.count))
            break
        }
        return project.deletingLastPathComponent().appendingPathComponent(name + "-color.mkv")
    }

    private final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: Error?
        var error: Error? { lock.withLock { stored } }
        func set(_ error: Error) { lock.withLock { stored = error } }
    }
}
#endif
