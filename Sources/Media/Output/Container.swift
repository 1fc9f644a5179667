import CFFmpeg
import Foundation

/// The output container, chosen by the file extension as ffmpeg does, and what it can hold.
struct Container {
    let format: UnsafePointer<AVOutputFormat>
    /// FFmpeg's muxer name: `matroska`, `mov`, `mp4`, `avi`...
    let name: String
    /// The extension as written, lowercased.
    let ext: String

    init(for url: URL) throws {
        ext = url.pathExtension.lowercased()
        guard !ext.isEmpty, let format = av_guess_format(nil, url.path, nil) else {
            throw MediaError(.unsupportedByContainer, url,
                             "unknown container extension '\(ext.isEmpty ? "(none)" : "." + ext)' (use .mkv, .mov, .mp4 or .avi)")
        }
        self.format = format
        name = String(cString: format.pointee.name)
        // FFmpeg's image2 muxer writes pictures; Kinecolor writes sequences with ImageSequenceWriter.
        if name == "image2" {
            let stem = url.deletingPathExtension().lastPathComponent
            throw MediaError(.unsupportedByContainer, url, "a .\(ext) file holds one picture; name an image sequence "
                             + "with a frame number (\(stem)_%06d.\(ext))")
        }
        if format.pointee.video_codec == AV_CODEC_ID_NONE {
            throw MediaError(.unsupportedByContainer, url, ".\(ext) holds no video (use .mkv, .mov, .mp4 or .avi)")
        }
    }

    /// avformat_query_codec's verdict: 1 the muxer can store `codec`, 0 it cannot, negative
    /// it does not say.
    func verdict(on codec: AVCodecID) -> Int32 {
        avformat_query_codec(format, codec, FF_COMPLIANCE_NORMAL)
    }

    /// AVI counts frames, so its clock is one tick a frame and it keeps no durations.
    var countsFrames: Bool { name == "avi" }

    /// MOV and MP4 (and their relatives) drop AC-3 packets before the first sync word.
    var dropsLeadingPartialAC3: Bool { ["mp4", "mov", "ipod", "3gp"].contains(name) }

    var wantsGlobalHeader: Bool { format.pointee.flags & AVFMT_GLOBALHEADER != 0 }

    /// False for muxers that write through their own means rather than into a file we open.
    var needsFile: Bool { format.pointee.flags & AVFMT_NOFILE == 0 }

    /// " (use .mkv or .mov)": containers among the usual ones that accept `codec`.
    func suggestion(for codec: AVCodecID) -> String {
        let candidates = [("matroska", "mkv"), ("mov", "mov"), ("mp4", "mp4")]
        let fits = candidates.filter { candidate, _ in
            candidate != name
                && av_guess_format(candidate, nil, nil).map { avformat_query_codec($0, codec, FF_COMPLIANCE_NORMAL) == 1 } == true
        }.map { "." + $0.1 }
        if fits.isEmpty { return "" }
        return " (use " + fits.joined(separator: " or ") + ")"
    }
}
