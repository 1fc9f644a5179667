import Foundation

/// Every failure of KinecolorMedia: bad input, an unsuitable output, or an I/O error.
///
/// `description` is always ONE line of the form `FILE: problem`, ready to print as a CLI
/// message; `kind` lets callers and tests react without parsing text.
public struct MediaError: Error, CustomStringConvertible, LocalizedError, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Missing, empty, a directory, or nothing libavformat can demux.
        case cannotOpen
        /// The file has no usable video stream, or the requested index is not one.
        case noVideoStream
        /// No decoder or encoder for a codec in this FFmpeg build.
        case codecUnavailable
        /// Every packet failed to decode, or the demuxer failed mid-file.
        case decodeFailed
        /// The destination container cannot hold a stream (copied or encoded).
        case unsupportedByContainer
        /// The destination exists and overwriting was not requested.
        case destinationExists
        /// The destination appeared while writing (overwriting was not requested); the result
        /// was kept under its temporary name, which the problem names.
        case destinationAppeared
        /// The destination is the input file itself.
        case destinationIsInput
        /// The destination (or its temporary sibling) cannot be created.
        case cannotCreate
        /// Writing or finishing the output failed (disk full, I/O error, muxer error).
        case writeFailed
        /// A frame handed to the writer does not match the stream (size, pts order, plane sizes).
        case invalidFrame
    }

    public let kind: Kind
    /// The file the message is about, as the caller spelled it.
    public let file: String
    /// What went wrong, without the file name.
    public let problem: String

    init(_ kind: Kind, _ url: URL, _ problem: String) {
        self.kind = kind
        self.file = url.isFileURL ? url.relativePath : url.absoluteString
        // Keep the one-line promise even when FFmpeg hands back multi-line text.
        self.problem = problem.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    public var description: String { "\(file): \(problem)" }
    public var errorDescription: String? { description }
}
