import CFFmpeg
import Foundation

/// An open demuxer that closes itself when its owner lets go, so that no error path, in an
/// initializer or elsewhere, can leak one.
final class InputFile {
    /// nil once closed.
    private(set) var context: UnsafeMutablePointer<AVFormatContext>?

    init(_ url: URL) throws {
        context = try openInput(url)
    }

    deinit { close() }

    /// Closes the demuxer now, for owners that outlive their use of it.
    func close() {
        avformat_close_input(&context)
    }

    var streams: [UnsafeMutablePointer<AVStream>] { context?.streamList ?? [] }
}
