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
        if Cancellation.isRequested { exit(130) }
        Cancellation.request()
    }
    source.resume()
    return source
}
Kinecolor.main()
