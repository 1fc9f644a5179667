import Foundation

extension MediaWriter {
    /// Runs every check `init` makes (container, codecs, stream copy, destination) and leaves nothing
    /// on disk, so a command can refuse a bad output before hours of work.
    public static func check(url: URL, copyingStreamsFrom input: URL, videoStream: Int?, options: EncodeOptions,
                             overwrite: Bool) throws {
        let reader = try MediaReader(url: input, videoStream: videoStream)
        defer { reader.close() }
        let writer = try MediaWriter(url: url, copyingStreamsFrom: input, video: reader.video, options: options, overwrite: overwrite)
        writer.cancel()
    }
}
