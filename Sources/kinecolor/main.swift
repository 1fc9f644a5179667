import ArgumentParser
import Foundation
import KinecolorEngine
import KinecolorPipeline

// OpenBLAS chooses its kernels when it loads, before any of our code runs. If the chosen set is
// slower than what this CPU supports, run ourselves again with OPENBLAS_CORETYPE set.
BLASBootstrap.reexecIfNeeded()
// Ctrl-C and SIGTERM stop between frames, so outputs in progress are cancelled and their temporary
// files removed; a second Ctrl-C exits at once.
let interruptSources = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
    signal(sig, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
    source.setEventHandler {
        if Interruption.isRequested { exit(128 + sig) }
        Interruption.request(signal: sig)
    }
    source.resume()
    return source
}
// Like `Kinecolor.main()`, but a usage mistake is one line (the problem, and where help is)
// rather than the problem followed by the whole usage synopsis.
do {
    var command = try Kinecolor.parseAsRoot()
    try command.run()
} catch {
    // Every failure is one line on stderr, whatever its message quotes (a file name or a time
    // string with a newline in it included): line breaks are shown, not printed.
    func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
    }
    // On a terminal the line may hold a progress bar: start it afresh.
    func report(_ message: String) {
        let clear = isatty(STDERR_FILENO) != 0 ? "\r\u{1B}[K" : ""
        FileHandle.standardError.write(Data("\(clear)Error: \(oneLine(message))\n".utf8))
    }
    if let sig = Interruption.signal {
        // Whatever failed after an interrupt failed because of it.
        let text = Messages.text(for: error) ?? "\(error)"
        let message = text.hasPrefix("interrupted") ? text : "interrupted (\(text))"
        report(message)
        exit(128 + sig)
    }
    let code = Kinecolor.exitCode(for: error)
    if code == .success { Kinecolor.exit(withError: error) }  // --help, --version
    if code == .validationFailure {
        let message = Kinecolor.message(for: error).split(separator: "\n").joined(separator: " ")
        report("\(message) (see 'kinecolor help')")
    } else {
        // The library's typed errors in the command's words (naming --size, --overwrite, …).
        report(Messages.text(for: error) ?? Kinecolor.message(for: error))
    }
    exit(code.rawValue)
}
