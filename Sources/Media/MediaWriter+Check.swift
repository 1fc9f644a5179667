import Foundation

extension MediaWriter {
    /// Runs every check `init` makes (container, codecs, stream copy, destination) and leaves nothing
    /// on disk, so a command can refuse a bad output before hours of work.
    /// Returns the writer's notes (streams left out and why, interlacing kept), for the command to
    /// say before the long passes.
    @discardableResult
    public static func check(url: URL, copyingStreamsFrom input: URL, videoStream: Int?, options: EncodeOptions,
                             overwrite: Bool) throws -> [String] {
        let reader = try MediaReader(url: input, videoStream: videoStream)
        defer { reader.close() }
        let writer = try MediaWriter(url: url, copyingStreamsFrom: input, video: reader.video, options: options, overwrite: overwrite)
        writer.cancel()
        return writer.notes
    }
}
