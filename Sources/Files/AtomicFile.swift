import Foundation

/// A file problem, named by the path as the user gave it.
public struct FileError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The destination exists and replacing it was not asked for: a front end says how to ask.
        case alreadyExists
        /// The destination appeared while the result was being written; the result was kept
        /// under its temporary name.
        case appearedWhileWriting
        case other
    }

    public let kind: Kind
    public let path: String
    public let reason: String

    public init(_ path: String, _ reason: String) {
        self.kind = .other
        self.path = path
        self.reason = reason
    }

    package static func alreadyExists(_ path: String) -> FileError {
        FileError(kind: .alreadyExists, path: path, reason: "already exists")
    }

    package static func appearedWhileWriting(_ path: String, keptIn temp: String) -> FileError {
        FileError(kind: .appearedWhileWriting, path: path, reason: "appeared while writing; the result was left in \(temp)")
    }

    private init(kind: Kind, path: String, reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// The one way Kinecolor puts an output in place: write a hidden sibling, then rename it onto
/// the destination, so a reader never sees half a file and a crash never damages what was there.
/// Only regular files are ever replaced: a device node, FIFO, socket or folder given as an output
/// is an error even when overwriting (as root, replacing `/dev/null` would destroy it).
public enum AtomicFile {
    /// The hidden sibling a writer fills before `place`: `.NAME.partial-PID` (with `.EXT` kept
    /// when a muxer needs the extension to choose the container).
    public static func temporaryURL(for url: URL, keepingExtension: Bool = false) -> URL {
        let name = keepingExtension
            ? ".\(url.deletingPathExtension().lastPathComponent).partial-\(getpid()).\(url.pathExtension)"
            : ".\(url.lastPathComponent).partial-\(getpid())"
        return url.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Refuses a destination that exists and may not be replaced: anything but a regular file
    /// (a symbolic link is judged by what it points to), or any file without `overwrite`.
    public static func checkDestination(_ url: URL, overwrite: Bool) throws {
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            // A dangling link or a missing file: nothing would be destroyed.
            return
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            throw FileError(url.path, kind == S_IFDIR ? "is a directory" : "is not a regular file (\(describe(kind))); only regular files are replaced")
        }
        if !overwrite { throw FileError.alreadyExists(url.path) }
    }

    /// Moves the finished `temp` onto `destination`. Without `overwrite` a hard link is used,
    /// which fails instead of replacing a file that appeared meanwhile; the result is then kept
    /// under its temporary name and the error says where.
    public static func place(_ temp: URL, at destination: URL, overwrite: Bool) throws {
        func failure() -> FileError {
            let reason = String(cString: strerror(errno))
            unlink(temp.path)
            return FileError(destination.path, "cannot move the result into place (\(reason))")
        }
        do {
            try checkDestination(destination, overwrite: overwrite)
        } catch let error as FileError where error.kind == .alreadyExists {
            throw FileError.appearedWhileWriting(destination.path, keptIn: temp.path)
        } catch {
            unlink(temp.path)
            throw error
        }
        if overwrite {
            guard rename(temp.path, destination.path) == 0 else { throw failure() }
        } else if link(temp.path, destination.path) == 0 {
            unlink(temp.path)
        } else if errno == EEXIST {
            throw FileError.appearedWhileWriting(destination.path, keptIn: temp.path)
        } else {
            // No hard links on this file system: check-then-rename is the best available.
            guard !FileManager.default.fileExists(atPath: destination.path) else {
                throw FileError.appearedWhileWriting(destination.path, keptIn: temp.path)
            }
            guard rename(temp.path, destination.path) == 0 else { throw failure() }
        }
    }

    /// Writes `data` to a hidden sibling and places it.
    public static func write(_ data: Data, to url: URL, overwrite: Bool) throws {
        try checkDestination(url, overwrite: overwrite)
        let temp = temporaryURL(for: url)
        do {
            try data.write(to: temp)
        } catch {
            unlink(temp.path)
            throw FileError(url.path, "cannot write (\(reason(error)))")
        }
        try place(temp, at: url, overwrite: overwrite)
    }

    /// The POSIX reason inside a Foundation error ("No space left on device"), not its prose.
    public static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }

    private static func describe(_ kind: mode_t) -> String {
        switch kind {
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        default: return "not a plain file"
        }
    }
}
