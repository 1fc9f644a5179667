#include "kinecolor_flow.h"

#include <cstring>
#include <exception>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/video/tracking.hpp>

namespace {

void report(const char *message, char *error, int error_size) {
    if (error == nullptr || error_size <= 0) return;
    std::strncpy(error, message, static_cast<size_t>(error_size) - 1);
    error[error_size - 1] = '\0';
}

/// The parameters DISOpticalFlow::create(preset) gives, set again on a used instance.
void restore_preset(cv::DISOpticalFlow &dis, int preset) {
    thread_local cv::Ptr<cv::DISOpticalFlow> pristine[3];
    if (!pristine[preset]) pristine[preset] = cv::DISOpticalFlow::create(preset);
    const cv::DISOpticalFlow &p = *pristine[preset];
    dis.setFinestScale(p.getFinestScale());
    dis.setPatchSize(p.getPatchSize());
    dis.setPatchStride(p.getPatchStride());
    dis.setGradientDescentIterations(p.getGradientDescentIterations());
    dis.setVariationalRefinementIterations(p.getVariationalRefinementIterations());
}

}  // namespace

extern "C" int kc_dis_flow(const uint8_t *from, const uint8_t *to, int width, int height, int preset,
                           float *dx, float *dy, char *error, int error_size) {
    // One OpenCV thread: the caller decides the parallelism (it runs the two directions of a pair
    // side by side), and a second thread pool would fight the network's BLAS threads.
    static std::once_flag once;
    std::call_once(once, [] { cv::setNumThreads(1); });
    if (preset < 0 || preset > 2 || width < 1 || height < 1) {
        report("invalid flow arguments", error, error_size);
        return -1;
    }
    try {
        // DIS keeps per-size scratch buffers between calls: one instance per thread and preset.
        thread_local cv::Ptr<cv::DISOpticalFlow> instances[3];
        cv::Ptr<cv::DISOpticalFlow> &dis = instances[preset];
        if (!dis) dis = cv::DISOpticalFlow::create(preset);
        // A picture too small for the preset's pyramid makes calc() pick a smaller patch and a
        // finer scale and keep them, so every later call on this thread would differ: the same
        // two frames must give the same flow whatever this thread computed before.
        restore_preset(*dis, preset);
        const cv::Mat a(height, width, CV_8UC1, const_cast<uint8_t *>(from));
        const cv::Mat b(height, width, CV_8UC1, const_cast<uint8_t *>(to));
        cv::Mat flow;
        dis->calc(a, b, flow);
        for (int y = 0; y < height; y++) {
            const float *row = flow.ptr<float>(y);
            for (int x = 0; x < width; x++) {
                dx[y * width + x] = row[2 * x];
                dy[y * width + x] = row[2 * x + 1];
            }
        }
        return 0;
    } catch (const std::exception &e) {
        report(e.what(), error, error_size);
        return -1;
    }
}
