import Foundation

/// The start of a file, read with a bound: inputs that are small by nature (a project file, a
/// reference image) or read only in part (a film's fingerprint) never make us read all of a huge
/// or endless file.
public enum FileHead {
    /// At most `count` bytes from the start of `url` (fewer when the file is shorter).
    public static func read(_ url: URL, upTo count: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        return try handle.read(upToCount: count) ?? Data()
    }
}
