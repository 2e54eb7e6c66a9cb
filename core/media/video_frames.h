#pragma once
// One-pass conversions between OpenCV's 8-bit BGR frames and NoiseStudio's planar float RGB in
// [-1,1] ([3,H,W] per frame), used by readVideo/writeVideo. They write straight into the clip
// tensor or one reused frame: the ATen formulation they replace built several full-clip
// temporaries per call, and faulting in that fresh memory made reading a 48-frame 512² clip
// ~20x slower than decoding it (docs/performance.md, Video).

#include <cstddef>
#include <cstdint>

namespace ns::media {

// `bgr`: height rows of width interleaved B, G, R bytes, `stride` bytes apart (a CV_8UC3 Mat's
// step). `rgb`: 3 planes (R, G, B) of height*width floats, each byte / 127.5 - 1.
void bgrToPlanarRgb(const uint8_t* bgr, size_t stride, int width, int height, float* rgb);

// The reverse: each byte is (v + 1) * 127.5 rounded half to even and clamped to [0, 255]
// (NaN -> 0), the bytes at::round(...).clamp(0, 255) gives.
void planarRgbToBgr(const float* rgb, int width, int height, uint8_t* bgr, size_t stride);

}  // namespace ns::media
