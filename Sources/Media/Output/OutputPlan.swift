import CFFmpeg
import Foundation

/// Everything decided about an output before a byte of it exists: the container, where the file
/// goes, how the video is encoded, which input streams are copied into which slots, and the
/// notes that say what is left out and why. Computing it runs every check that needs no file
/// (`MediaWriter.check` reports its notes), and the writer is built from it.
///
/// Audio and subtitles are never dropped: a stream the container cannot hold is an error that
/// suggests a container that can. Other streams (data, extra video angles, cover art or fonts
/// the container cannot hold) are left out with a note.
struct OutputPlan {
    /// One output stream, in output order.
    enum Stream {
        /// The encoded video; it takes the slot of its input stream, when there is one, so
        /// stream numbers stay the same.
        case video(source: UnsafeMutablePointer<AVStream>?)
        /// A stream copied from the input; `checkAC3Sync` when the muxer may drop its first packets.
        case copy(UnsafeMutablePointer<AVStream>, checkAC3Sync: Bool)
    }

    let url: URL
    let container: Container
    let placement: OutputPlacement
    let encoding: EncoderSettings
    let streams: [Stream]
    /// The input, opened again for stream copy, its unused streams discarded; nil for video alone.
    let source: InputFile?
    /// Streams copied from the input, as described in the input.
    let copiedStreams: [StreamDescription]
    /// One line per input stream that is not in the output, with the reason.
    let notes: [String]

    init(url: URL, input: URL?, video: VideoStreamInfo, options: EncodeOptions, overwrite: Bool) throws {
        _ = quietFFmpegLog
        self.url = url
        container = try Container(for: url)
        placement = try OutputPlacement(url: url, input: input, overwrite: overwrite)
        encoding = try EncoderSettings(options, video: video, container: container, url: url)
        source = try input.map(InputFile.init)

        let inputStreams = source?.streams ?? []
        let videoSlot = inputStreams.firstIndex {
            Int($0.pointee.index) == video.index && VideoStreamProbe.isFilm($0)
        }
        var streams: [Stream] = videoSlot == nil ? [.video(source: nil)] : []
        var notes: [String] = []
        var copied: [StreamDescription] = []
        for (i, st) in inputStreams.enumerated() {
            if i == videoSlot {
                streams.append(.video(source: st))
                continue
            }
            if let reason = try Self.reasonToLeaveOut(st, container: container, url: url) {
                if !reason.isEmpty { notes.append("\(StreamDescription(st)) left out: \(reason)") }
                st.pointee.discard = AVDISCARD_ALL
                continue
            }
            let codecID = st.pointee.codecpar.pointee.codec_id
            let ac3 = codecID == AV_CODEC_ID_AC3 || codecID == AV_CODEC_ID_EAC3
            streams.append(.copy(st, checkAC3Sync: ac3 && container.dropsLeadingPartialAC3))
            copied.append(StreamDescription(st))
        }
        if let slot = videoSlot { inputStreams[slot].pointee.discard = AVDISCARD_ALL }
        self.streams = streams
        self.notes = notes
        copiedStreams = copied
    }

    /// Why a stream other than the film is not copied ("" when it goes without a note), or nil
    /// when it is copied. Throws for audio and subtitles the container cannot hold.
    private static func reasonToLeaveOut(_ st: UnsafeMutablePointer<AVStream>, container: Container,
                                         url: URL) throws -> String? {
        let description = StreamDescription(st)
        let par = st.pointee.codecpar.pointee
        let verdict = container.verdict(on: par.codec_id)
        switch description.kind {
        case .audio, .subtitle:
            if verdict == 0 {
                throw MediaError(.unsupportedByContainer, url,
                                 "stream \(description.index) (\(description.codecName) \(description.kind.rawValue)) "
                                 + "cannot be stored in .\(container.ext) without re-encoding"
                                 + container.suggestion(for: par.codec_id))
            }
            return nil
        case .attachment where container.name == "matroska":
            return nil  // fonts for subtitles and the like; Matroska stores any attachment
        case .attachment,
             .video where description.isAttachedPicture:
            return verdict != 1 ? ".\(container.ext) cannot hold it" : nil
        case .video:
            return "only the colorized video is written"
        case .data where verdict == 1:
            return nil  // data tracks the container declares it can hold
        case .data where par.codec_tag == 0x64636d74 && ["mov", "mp4"].contains(container.ext):
            // A QuickTime timecode track ('tmcd'): the muxer writes a new one from the
            // timecode metadata, which is copied, so the timecode is kept.
            return ""
        default:
            return "\(description.kind.rawValue) streams are not copied"
        }
    }

    var encoderPixelFormatName: String { encoding.pixelFormatName }
}
