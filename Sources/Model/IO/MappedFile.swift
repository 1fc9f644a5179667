#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import KinecolorFiles

/// A read-only memory mapping of a whole file, or the bytes of a file compiled into the
/// executable (the embedded default model).
///
/// Weight files are hundreds of megabytes; mapping lets the reader copy each tensor
/// straight out of the page cache instead of reading the file into one big buffer first.
/// `unmap()` may be called early; the lock keeps a read from racing with it.
final class MappedFile: @unchecked Sendable {
    let name: String
    let size: Int
    private var base: UnsafeRawPointer?
    /// False for embedded bytes: they belong to the executable and are never unmapped.
    private let ownsMapping: Bool
    private let lock = NSLock()

    /// `makeError` turns a one-line reason into the caller's error type, so messages
    /// keep the format of the file kind being read.
    init(url: URL, makeError: (String) -> any Error) throws {
        name = url.lastPathComponent
        ownsMapping = true
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw makeError("cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw makeError("cannot stat: \(String(cString: strerror(errno)))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw makeError("not a regular file") }
        size = Int(info.st_size)

        // mmap rejects a zero length; an empty file simply has no bytes to map.
        if size > 0 {
            let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
            guard let p, p != MAP_FAILED else { throw makeError("cannot map: \(String(cString: strerror(errno)))") }
            base = UnsafeRawPointer(p)
        }
    }

    /// Bytes that stay valid and unchanged for the life of the process (read-only data of the
    /// executable), read in place, never copied or freed. `name` stands for the file name in messages.
    init(name: String, staticBytes: UnsafeRawBufferPointer) {
        self.name = name
        size = staticBytes.count
        base = size > 0 ? staticBytes.baseAddress : nil
        ownsMapping = false
    }

    deinit { unmap() }

    /// Ends reads through this value; for embedded bytes nothing is released.
    func unmap() {
        lock.lock()
        defer { lock.unlock() }
        if let base, ownsMapping { munmap(UnsafeMutableRawPointer(mutating: base), size) }
        base = nil
    }

    /// Runs `body` over bytes `range` of the file; returns nil when the file was unmapped.
    /// The caller has already checked `range` against `size`.
    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        lock.lock()
        defer { lock.unlock() }
        if range.isEmpty { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        guard let base else { return nil }
        precondition(range.lowerBound >= 0 && range.upperBound <= size, "range \(range) outside a \(size)-byte file")
        return try body(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }
}
