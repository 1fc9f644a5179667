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
        if Cancellation.isRequested { exit(128 + sig) }
        Cancellation.request(signal: sig)
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
    if Kinecolor.exitCode(for: error) == .validationFailure {
        let message = Kinecolor.message(for: error).split(separator: "\n").joined(separator: " ")
        FileHandle.standardError.write(Data("Error: \(message) (see 'kinecolor help')\n".utf8))
        exit(ExitCode.validationFailure.rawValue)
    }
    if let sig = Cancellation.signal {
        // Whatever failed after an interrupt failed because of it.
        let text = "\(error)"
        let message = text.hasPrefix("interrupted") ? text : "interrupted (\(text))"
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        exit(128 + sig)
    }
    Kinecolor.exit(withError: error)
}
