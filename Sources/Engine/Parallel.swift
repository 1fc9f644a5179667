import Dispatch
import Foundation
import Synchronization

/// Runs `body(i)` for i in 0..<count on up to `Parallelism.threads` cores. The memory-bound
/// passes between GEMMs (norm + ReLU, pooling, epilogues, softmax, color conversion, resizing)
/// would otherwise run on one core while OpenBLAS's threads wait; each iteration is a whole
/// channel or a block of rows, so scheduling is cheap.
///
/// Iterations must touch disjoint memory: that is the contract every caller keeps (each writes
/// its own channel or rows), and it is why the closure may capture buffer pointers although
/// pointers are not `Sendable`.
@inline(__always)
package func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    let threads = Parallelism.threads
    if count < 2 || threads < 2 {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let shared = DisjointIterations(body: body)
        // No more workers than `--threads` allows; each takes the next iteration when it is
        // free, so uneven iterations still balance.
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: min(threads, count)) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= count { break }
                shared.body(i)
            }
        }
    }
}

/// The closure of `parallelFor`, handed to the worker threads.
private struct DisjointIterations: @unchecked Sendable {
    // Unchecked: the iterations write disjoint memory (parallelFor's contract), so running
    // them on several threads at once shares nothing mutable.
    let body: (Int) -> Void
}

package enum Parallelism {
    private static let count = Atomic<Int>(ProcessInfo.processInfo.activeProcessorCount)

    /// Threads for the engine's own passes; the CLI sets it together with the BLAS threads.
    public static var threads: Int {
        get { count.load(ordering: .relaxed) }
        set { count.store(max(1, newValue), ordering: .relaxed) }
    }
}
