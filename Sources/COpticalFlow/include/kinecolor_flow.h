// A C-callable view of OpenCV's DIS optical flow (Kroeger et al., ECCV 2016), so that the
// Swift modules never see C++. KinecolorMotion is its only user.
#ifndef KINECOLOR_FLOW_H
#define KINECOLOR_FLOW_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Dense flow from `from` to `to` (8-bit gray, `width` x `height`, rows packed): for each pixel p
/// of `from`, `dx[p]`, `dy[p]` say where it moved to in `to`, in pixels. `preset` is 0 (ultrafast),
/// 1 (fast) or 2 (medium). Returns 0, or -1 with a message in `error` (NUL-terminated, at most
/// `error_size` bytes) when OpenCV refuses or fails.
int kc_dis_flow(const uint8_t *from, const uint8_t *to, int width, int height, int preset,
                float *dx, float *dy, char *error, int error_size);

#ifdef __cplusplus
}
#endif

#endif
