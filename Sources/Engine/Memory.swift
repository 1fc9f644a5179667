import Foundation

// The process's memory: how the heap treats the engine's large buffers, and what the system
// reports (used to refuse work that cannot fit before it starts, and by benchmarks).

#if os(Linux)
/// glibc's mallopt(3); its header is not part of the Glibc module.
@_silgen_name("mallopt") private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
private let M_TRIM_THRESHOLD: Int32 = -1
private let M_MMAP_THRESHOLD: Int32 = -3
private let M_ARENA_MAX: Int32 = -8
#endif

public enum EngineMemory {
    /// Keeps freed activation buffers in the heap instead of returning them to the OS.
    ///
    /// glibc serves big allocations with fresh mmaps and unmaps them on free, so every forward pass
    /// would page-fault (and the kernel zero-fill) each activation again: tens of milliseconds per
    /// frame. Raising the mmap threshold makes consecutive frames reuse the same memory.
    /// Peak memory is unchanged: it is what one forward pass needs.
    ///
    /// One arena for all threads: with glibc's per-thread arenas, the decoder, network and encoder
    /// threads each kept their own peak of frame-sized blocks, since none is ever returned; at 4K
    /// that was 250 MB more than the frames in flight (Docs/benchmarks.md).
    package static func reuseLargeBuffers() {
        #if os(Linux)
        _ = mallopt(M_ARENA_MAX, 1)
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 30)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        #endif
    }

    /// For films above HD: frame-sized blocks (16–33 MB at 4K) would pile up in the heap, and the
    /// network's page faults are small beside a 4K frame's conversions, so blocks over 4 MB go back
    /// to the OS when freed (900 MB instead of 1.4 GB for a 4K render; Docs/benchmarks.md).
    public static func returnLargeBuffers() {
        #if os(Linux)
        _ = mallopt(M_MMAP_THRESHOLD, 4 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 8 << 20)
        #endif
    }
}

/// Peak resident memory of this process so far (VmHWM), in bytes; nil where /proc is missing.
package func peakResidentBytes() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Int($0) }.first
        return kb.map { $0 * 1024 }
    }
    return nil
}

/// Memory the system can still give this process (MemAvailable, or the cgroup limit if lower),
/// in bytes; nil where /proc is missing.
public func availableMemoryBytes() -> Int? {
    var available: Int?
    if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            available = line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
        }
    }
    // A container's limit is lower than the machine's free memory and kills without a word.
    if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
       let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)),
       let usedText = try? String(contentsOfFile: "/sys/fs/cgroup/memory.current", encoding: .utf8),
       let used = Int(usedText.trimmingCharacters(in: .whitespacesAndNewlines)) {
        available = min(available ?? .max, max(0, limit - used))
    }
    return available
}
