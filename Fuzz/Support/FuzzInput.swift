#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Writes the fuzzer's bytes to a per-process scratch file, for readers that take a URL
/// (the safetensors and .npy readers map the file; the project reader reads it).
/// The file name ends in `fileName`, so error messages look like a user's would.
func withScratchFile<R>(_ data: UnsafePointer<UInt8>, _ size: Int, fileName: String, _ body: (URL) throws -> R) rethrows -> R {
    let dir = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    let path = "\(dir)/kinecolor-fuzz-\(getpid())-\(fileName)"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "cannot create \(path)")
    var done = 0
    while done < size {
        let n = write(fd, data + done, size - done)
        precondition(n > 0, "cannot write \(path)")
        done += n
    }
    close(fd)
    defer { unlink(path) }
    return try body(URL(fileURLWithPath: path))
}

/// With FUZZ_ONE_LINE=1, an error message that spans lines counts as a crash. Off by default:
/// messages quote names from the input (a tensor key, a time string) as they are, so a key with
/// a newline in it gives a two-line message; see Docs/fuzzing.md.
let checkOneLineErrors = ProcessInfo.processInfo.environment["FUZZ_ONE_LINE"] == "1"

func checkOneLine(_ error: Error) {
    guard checkOneLineErrors else { return }
    let text = "\(error)"
    precondition(!text.contains("\n"), "error message spans lines: \(text)")
}
