import Dispatch
import Foundation

/// Runs `body(i)` for i in 0..<count on all cores. The memory-bound passes between GEMMs
/// (norm + ReLU, pooling, epilogues, softmax) would otherwise run on one core while OpenBLAS's
/// threads wait; each iteration is a whole channel or a block of rows, so scheduling is cheap.
@inline(__always)
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count < 2 || Parallelism.threads < 2 {
        for i in 0..<count { body(i) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: count, execute: body)
}

public enum Parallelism {
    /// Threads for the engine's own passes; the CLI sets it together with the BLAS threads.
    nonisolated(unsafe) public static var threads = ProcessInfo.processInfo.activeProcessorCount
}
