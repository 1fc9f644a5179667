import Foundation
import KinecolorFiles

/// The destination of an output and the way the file gets there. The muxer fills a hidden
/// sibling, `.NAME.partial-PID.EXT`, which `place()` moves onto the destination through
/// `AtomicFile`; unless it was placed, the sibling is deleted when the placement goes away, so a
/// destination path never holds half a film.
final class OutputPlacement {
    let url: URL
    let overwrite: Bool
    /// The hidden sibling the muxer writes.
    let temporaryURL: URL
    /// The folder that will hold the file, for messages.
    let directory: URL
    /// Set while the hidden sibling exists and is ours to delete.
    private var temporaryExists = false

    /// Checks now everything about the destination that can be checked before writing: it is
    /// not the input, not a folder, not an existing file (unless `overwrite`), and its folder exists.
    init(url: URL, input: URL?, overwrite: Bool) throws {
        self.url = url
        self.overwrite = overwrite
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        if let input, sameFile(url, input) {
            throw MediaError(.destinationIsInput, url, "is the input file; choose another output name")
        }
        if exists && isDirectory.boolValue {
            throw MediaError(.cannotCreate, url, "is a directory")
        }
        do {
            try AtomicFile.checkDestination(url, overwrite: overwrite)
        } catch let error as FileError {
            throw MediaError(error.kind == .alreadyExists ? .destinationExists : .cannotCreate, url, error.reason)
        }
        directory = url.deletingLastPathComponent()
        var dirIsDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &dirIsDirectory),
              dirIsDirectory.boolValue else {
            throw MediaError(.cannotCreate, url, "directory \(directory.path) does not exist")
        }
        temporaryURL = AtomicFile.temporaryURL(for: url, keepingExtension: true)
    }

    deinit { discard() }

    /// Runs `create`, which makes the hidden sibling; from then on it is deleted unless placed.
    func create(_ create: (URL) throws -> Void) throws {
        try create(temporaryURL)
        temporaryExists = true
    }

    /// Moves the finished sibling onto the destination (AtomicFile.place: never over a file that
    /// appeared meanwhile unless overwriting, never over anything but a regular file).
    func place() throws {
        guard temporaryExists else { return }
        temporaryExists = false
        do {
            try AtomicFile.place(temporaryURL, at: url, overwrite: overwrite)
        } catch let error as FileError {
            throw MediaError(error.kind == .appearedWhileWriting ? .destinationAppeared : .writeFailed, url, error.reason)
        }
    }

    /// Deletes the hidden sibling, if it exists and was not placed.
    func discard() {
        if temporaryExists { unlink(temporaryURL.path) }
        temporaryExists = false
    }
}

/// Same file after resolving symlinks and hard links: same device and inode.
private func sameFile(_ a: URL, _ b: URL) -> Bool {
    var sa = stat(), sb = stat()
    guard stat(a.path, &sa) == 0, stat(b.path, &sb) == 0 else {
        return a.resolvingSymlinksInPath().standardizedFileURL.path == b.resolvingSymlinksInPath().standardizedFileURL.path
    }
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
}
