import CBLAS
import Foundation

/// The OpenBLAS runtime: thread count, the kernel set in use, and the choice of kernel set.
///
/// OpenBLAS picks its kernels once, when the library loads, from `OPENBLAS_CORETYPE` or from
/// its own CPU detection. Its detection (0.3.21) does not know recent CPUs and falls back to
/// "Prescott" (SSE3, about a fifth of the speed). Because the choice is made before any of our
/// code runs, the command-line tool re-executes itself once with the variable set
/// (see `BLASRuntime.coreTypeToRequest`).
package enum BLASRuntime {
    /// Kernel sets we may ask for, weakest first. Only those with fp32 GEMM kernels that
    /// differ in speed are listed; each needs the CPU flags beside it.
    static let ladder: [(name: String, flags: [String])] = [
        ("Haswell", ["avx2", "fma"]),
        ("SkylakeX", ["avx512f", "avx512vl", "avx512bw", "avx512dq", "avx2", "fma"]),
        ("Cooperlake", ["avx512f", "avx512vl", "avx512bw", "avx512dq", "avx512_bf16", "avx2", "fma"]),
    ]

    /// The best kernel set this CPU can run, from the kernel's view of the CPU flags
    /// (which also reflects OS support for the AVX-512 register state). nil: leave OpenBLAS alone.
    package static func bestCoreType(cpuFlags: Set<String>? = nil) -> String? {
        guard let flags = cpuFlags ?? readCPUFlags() else { return nil }
        return ladder.last(where: { $0.flags.allSatisfy(flags.contains) })?.name
    }

    /// The value `OPENBLAS_CORETYPE` should have for this process, or nil if the current one is fine.
    ///
    /// `KINECOLOR_BLAS_CORETYPE` forces a value. Otherwise an unset variable, or one naming a weaker
    /// kernel set than the CPU supports (shell profiles often carry `Haswell` as a workaround for the
    /// misdetection), is upgraded to the best set. A value we do not know is left as the user set it.
    package static func coreTypeToRequest(environment: [String: String] = ProcessInfo.processInfo.environment,
                                         cpuFlags: Set<String>? = nil) -> String? {
        let current = environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
        if let forced = environment["KINECOLOR_BLAS_CORETYPE"], !forced.isEmpty {
            return current?.lowercased() == forced.lowercased() ? nil : forced
        }
        guard let best = bestCoreType(cpuFlags: cpuFlags) else { return nil }
        guard let current else { return best }
        let rank = { (name: String) in ladder.firstIndex { $0.name.lowercased() == name.lowercased() } }
        if current.lowercased() == "prescott" || current.lowercased() == "core2" { return best }
        guard let have = rank(current), let want = rank(best) else { return nil }
        return have < want ? best : nil
    }

    static func readCPUFlags() -> Set<String>? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return nil
    }

    /// The kernel set OpenBLAS loaded, e.g. "Cooperlake".
    package static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    public static var threads: Int { Int(openblas_get_num_threads()) }

    package static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }
}

/// C = alpha·op(A)·op(B) + beta·C, row-major, on raw buffers. Internal to the engine: the public
/// kernels wrap it in `FeatureMap` operations.
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
           alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
           b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}
