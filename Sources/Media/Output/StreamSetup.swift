import CFFmpeg
import Foundation

/// Describes the output streams to the muxer before the header is written: the encoded video in
/// the input's image (timing, aspect, rotation, tags), the copied streams as they were, chapters.
enum StreamSetup {
    /// Tags that describe the old encode of the video, not ours.
    private static let staleVideoTags = ["encoder", "BPS", "DURATION", "NUMBER_OF_FRAMES", "NUMBER_OF_BYTES",
                                         "_STATISTICS_TAGS", "_STATISTICS_WRITING_APP", "_STATISTICS_WRITING_DATE_UTC"]

    static func describeVideo(_ st: UnsafeMutablePointer<AVStream>, encoder: UnsafeMutablePointer<AVCodecContext>,
                              settings: EncoderSettings, video: VideoStreamInfo,
                              source: UnsafeMutablePointer<AVStream>?, url: URL) throws {
        avcodec_parameters_from_context(st.pointee.codecpar, encoder)
        st.pointee.time_base = settings.timeBase
        st.pointee.sample_aspect_ratio = encoder.pointee.sample_aspect_ratio
        st.pointee.avg_frame_rate = video.averageFrameRate.av
        st.pointee.r_frame_rate = video.realFrameRate.av
        if let source {
            av_dict_copy(&st.pointee.metadata, source.pointee.metadata, 0)
            for key in staleVideoTags { av_dict_set(&st.pointee.metadata, key, nil, 0) }
            st.pointee.disposition = source.pointee.disposition
        }
        // Name our encoder, as ffmpeg does (MP4/MOV put it in the sample description).
        let v = avcodec_version()
        av_dict_set(&st.pointee.metadata, "encoder", "Lavc\(v >> 16).\((v >> 8) & 0xFF).\(v & 0xFF) \(settings.name)", 0)
        try setDisplayMatrix(st, video: video, url: url)
    }

    static func describeCopy(_ st: UnsafeMutablePointer<AVStream>, from source: UnsafeMutablePointer<AVStream>,
                             container: Container) {
        avcodec_parameters_copy(st.pointee.codecpar, source.pointee.codecpar)
        st.pointee.codecpar.pointee.codec_tag = copyTag(source.pointee.codecpar.pointee, container.format)
        st.pointee.time_base = source.pointee.time_base
        st.pointee.sample_aspect_ratio = source.pointee.sample_aspect_ratio
        st.pointee.disposition = source.pointee.disposition
        av_dict_copy(&st.pointee.metadata, source.pointee.metadata, 0)
        for i in 0..<Int(source.pointee.nb_side_data) {
            let sd = source.pointee.side_data[i]
            if let dst = av_stream_new_side_data(st, sd.type, sd.size) { memcpy(dst, sd.data, sd.size) }
        }
    }

    /// Copies the input's display matrix (flips included), or builds one from `rotation`.
    static func setDisplayMatrix(_ stream: UnsafeMutablePointer<AVStream>, video: VideoStreamInfo, url: URL) throws {
        var matrix = video.displayMatrix ?? []
        if matrix.count != 9 {
            guard video.rotation != 0 else { return }
            matrix = [Int32](repeating: 0, count: 9)
            // av_display_rotation_set turns the opposite way to what av_display_rotation_get
            // (and ffprobe) report, hence the minus: reading the file back gives `rotation`.
            matrix.withUnsafeMutableBufferPointer { av_display_rotation_set($0.baseAddress, -video.rotation) }
        }
        guard let data = av_stream_new_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, 36) else {
            throw MediaError(.cannotCreate, url, "out of memory")
        }
        matrix.withUnsafeBytes { data.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: 36) }
    }

    /// ffmpeg's rule for stream copy: keep the input's codec tag only when the output container
    /// maps it to the same codec; otherwise let the muxer choose.
    static func copyTag(_ par: AVCodecParameters, _ format: UnsafePointer<AVOutputFormat>) -> UInt32 {
        let tag = par.codec_tag
        guard tag != 0, let tables = format.pointee.codec_tag else { return tag }
        if av_codec_get_id(tables, tag) == par.codec_id { return tag }
        var other: UInt32 = 0
        if av_codec_get_tag2(tables, par.codec_id, &other) == 0 { return tag }
        return 0
    }

    static func copyChapters(from source: UnsafeMutablePointer<AVFormatContext>,
                             to out: UnsafeMutablePointer<AVFormatContext>, url: URL) throws {
        let count = Int(source.pointee.nb_chapters)
        guard count > 0 else { return }
        // avformat_free_context frees chapters allocated with av_malloc, so ownership passes to `out`.
        guard let array = av_calloc(count, MemoryLayout<UnsafeMutablePointer<AVChapter>?>.stride) else {
            throw MediaError(.cannotCreate, url, "out of memory")
        }
        let chapters = array.bindMemory(to: UnsafeMutablePointer<AVChapter>?.self, capacity: count)
        out.pointee.chapters = chapters
        for i in 0..<count {
            guard let from = source.pointee.chapters[i],
                  let raw = av_mallocz(MemoryLayout<AVChapter>.stride) else { continue }
            let to = raw.bindMemory(to: AVChapter.self, capacity: 1)
            to.pointee.id = from.pointee.id
            to.pointee.time_base = from.pointee.time_base
            to.pointee.start = from.pointee.start
            to.pointee.end = from.pointee.end
            av_dict_copy(&to.pointee.metadata, from.pointee.metadata, 0)
            chapters[Int(out.pointee.nb_chapters)] = to
            out.pointee.nb_chapters += 1
        }
    }
}
