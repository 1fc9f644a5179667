/// An activation map [C, H, W] with an optional zero border of `padding` pixels on every side.
///
/// Convolutions read their input from a map with a 1-pixel zero border: with that layout, every
/// 3×3 tap is a constant offset into the buffer, so a convolution becomes nine plain GEMMs
/// over shifted views of the same memory and needs no im2col copy (see `Conv.swift`).
public final class FeatureMap {
    public let channels: Int
    public let height: Int
    public let width: Int
    public let padding: Int

    /// Row stride and channel stride, in floats, of the padded layout.
    let rowStride: Int
    let planeStride: Int
    /// Taps read up to 2 floats past the last plane; the slack keeps those reads in bounds.
    static let slack = 8
    let storage: UnsafeMutablePointer<Float>
    let capacity: Int

    /// A map whose interior is uninitialised (every kernel that makes one writes all of it)
    /// and whose border and slack are zero.
    public init(channels: Int, height: Int, width: Int, padding: Int = 0) {
        precondition(channels > 0 && height > 0 && width > 0 && padding >= 0)
        self.channels = channels
        self.height = height
        self.width = width
        self.padding = padding
        rowStride = width + 2 * padding
        planeStride = rowStride * (height + 2 * padding)
        capacity = planeStride * channels + FeatureMap.slack
        storage = .allocate(capacity: capacity)
        zeroBorder()
    }

    public convenience init(_ tensor: Tensor, padding: Int = 0) {
        let s = tensor.shape
        precondition(s.count >= 3 && s.dropLast(3).allSatisfy { $0 == 1 }, "expected [C, H, W], got \(s)")
        self.init(channels: s[s.count - 3], height: s[s.count - 2], width: s[s.count - 1], padding: padding)
        tensor.data.withUnsafeBufferPointer { src in
            for c in 0..<channels {
                for y in 0..<height {
                    (pixel(c, y, 0)).update(from: src.baseAddress! + (c * height + y) * width, count: width)
                }
            }
        }
    }

    deinit { storage.deallocate() }

    /// The interior as a dense [1, C, H, W] tensor.
    public var tensor: Tensor {
        var data = [Float](repeating: 0, count: channels * height * width)
        data.withUnsafeMutableBufferPointer { dst in
            for c in 0..<channels {
                for y in 0..<height {
                    (dst.baseAddress! + (c * height + y) * width).update(from: pixel(c, y, 0), count: width)
                }
            }
        }
        return Tensor(shape: [1, channels, height, width], data: data)
    }

    public var count: Int { channels * height * width }
    public var byteCount: Int { capacity * MemoryLayout<Float>.size }

    @inline(__always) func pixel(_ c: Int, _ y: Int, _ x: Int) -> UnsafeMutablePointer<Float> {
        storage + c * planeStride + (y + padding) * rowStride + (x + padding)
    }

    @inline(__always) func plane(_ c: Int) -> UnsafeMutablePointer<Float> { pixel(c, 0, 0) }

    private func zeroBorder() {
        (storage + planeStride * channels).initialize(repeating: 0, count: FeatureMap.slack)
        guard padding > 0 else { return }
        for c in 0..<channels {
            let base = storage + c * planeStride
            base.initialize(repeating: 0, count: padding * rowStride)
            (base + (padding + height) * rowStride).initialize(repeating: 0, count: padding * rowStride)
            for y in padding..<(padding + height) {
                (base + y * rowStride).initialize(repeating: 0, count: padding)
                (base + y * rowStride + padding + width).initialize(repeating: 0, count: padding)
            }
        }
    }
}

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
    public static func reuseLargeBuffers() {
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
