import Foundation
import KinecolorEngine
#if canImport(Glibc)
import Glibc
#endif

enum BLASBootstrap {
    /// Marks the re-executed process so that it never loops.
    static let marker = "KINECOLOR_BLAS_REEXEC"

    static func reexecIfNeeded() {
        let env = ProcessInfo.processInfo.environment
        guard env[marker] == nil, let core = BLASRuntime.coreTypeToRequest(environment: env) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(marker, core, 1)
        var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", argv)
        // exec failed (no /proc?): carry on with the kernels OpenBLAS picked.
        unsetenv(marker)
    }
}
