// Thin system-library target over the FFmpeg libraries. Only headers here; Swift types in
// KinecolorMedia own every context, packet and frame.
//
// The static inline helpers below exist because Swift cannot import FFmpeg's function-like
// macros (AVERROR, AV_NOPTS_VALUE, AV_TIME_BASE_Q) and sees fixed-size C arrays (data[8],
// linesize[8], comp[4]) as tuples, which are clumsy and error-prone to index from Swift.
#ifndef KINECOLOR_CFFMPEG_SHIM_H
#define KINECOLOR_CFFMPEG_SHIM_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
#include <libavutil/channel_layout.h>
#include <libavutil/md5.h>
#include <libavutil/mathematics.h>

static inline int kc_averror_eof(void) { return AVERROR_EOF; }
static inline int kc_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int kc_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int kc_averror_enomem(void) { return AVERROR(ENOMEM); }
static inline int kc_averror(int posix_errno) { return AVERROR(posix_errno); }
static inline int64_t kc_nopts(void) { return AV_NOPTS_VALUE; }
static inline AVRational kc_time_base_q(void) { return AV_TIME_BASE_Q; }

static inline uint8_t *kc_frame_data(const AVFrame *f, int plane) { return f->data[plane]; }
static inline int kc_frame_linesize(const AVFrame *f, int plane) { return f->linesize[plane]; }
static inline uint8_t *const *kc_frame_data_array(const AVFrame *f) { return (uint8_t *const *)f->data; }
static inline const uint8_t *const *kc_frame_const_data_array(const AVFrame *f) { return (const uint8_t *const *)f->data; }
static inline const int *kc_frame_linesize_array(const AVFrame *f) { return f->linesize; }

static inline AVComponentDescriptor kc_pixdesc_comp(const AVPixFmtDescriptor *d, int i) { return d->comp[i]; }

static inline const char *kc_pixdesc_name(enum AVPixelFormat f) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    return d ? d->name : NULL;
}

// Log capture. FFmpeg's log callback takes a va_list, which Swift cannot receive in a C
// function pointer, so the formatting happens here and the finished line goes to
// kc_log_sink, which KinecolorMedia implements in Swift (@_cdecl).
void kc_log_sink(int level, const char *line);

static inline void kc_log_capture(void *avcl, int level, const char *fmt, va_list vl) {
    (void)avcl;
    if (level > AV_LOG_ERROR) return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, vl);
    kc_log_sink(level, line);
}

static inline void kc_install_log_capture(void) { av_log_set_callback(kc_log_capture); }

#endif
