#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Streams a large file (a model, an array) through a temporary sibling and `AtomicFile.place`,
/// so a reader never sees a half-written file and a failed write leaves the old file in place.
package struct AtomicFileWriter {
    package let url: URL
    private let tempPath: String
    private var fd: Int32
    private let makeError: (String) -> any Error

    package init(url: URL, makeError: @escaping (String) -> any Error) throws {
        self.url = url
        self.makeError = makeError
        let dir = url.deletingLastPathComponent().path
        var template = ((dir.isEmpty ? "." : dir) + "/.\(url.lastPathComponent).tmp-XXXXXX").utf8CString
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw makeError("cannot create a temporary file: \(String(cString: strerror(errno)))") }
        tempPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        // mkstemp creates 0600; a model or array file is normally world-readable. (Reading the
        // umask would mean changing it, which races with other threads creating files.)
        fchmod(fd, 0o644)
    }

    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = posixWrite(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw makeError("cannot write: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    package func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Flushes, closes and moves the file into place.
    package mutating func commit() throws {
        defer { fd = -1 }
        guard fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            unlink(tempPath)
            throw makeError("cannot write: \(reason)")
        }
        close(fd)
        // The caller has decided to replace an existing file; AtomicFile still refuses to
        // replace anything that is not a regular file.
        do {
            try AtomicFile.place(URL(fileURLWithPath: tempPath), at: url, overwrite: true)
        } catch let error as FileError {
            throw makeError(error.reason)
        }
    }

    /// Removes the temporary file after a failure; harmless after `commit()`.
    package mutating func abandon() {
        if fd >= 0 {
            close(fd)
            unlink(tempPath)
            fd = -1
        }
    }
}

// `write` is shadowed inside AtomicFileWriter by its own methods.
@inline(__always)
private func posixWrite(_ fd: Int32, _ buf: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buf, n)
    #else
    return Darwin.write(fd, buf, n)
    #endif
}
