#include "core/media/video_frames.h"

#include <array>
#include <cstdint>

// Built with -fno-trapping-math (core/media/CMakeLists.txt) so GCC may if-convert the clamps.

namespace ns::media {
namespace {

// byte -> value; a table: the 256 results are all there are.
const std::array<float, 256>& byteToValue() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int b = 0; b < 256; ++b) t[size_t(b)] = float(b) / 127.5f - 1.f;
    return t;
  }();
  return table;
}

// (v + 1) * 127.5 -> byte. Adding and subtracting 2^23 rounds a float in [0, 2^23) to an integer
// half to even in the default rounding mode (what std::nearbyint and at::round do), without a
// libm call. Clamping before rounding gives the same bytes as rounding first.
inline uint8_t valueToByte(float v) {
  float x = (v + 1.f) * 127.5f;
  x = x > 0.f ? x : 0.f;  // NaN -> 0
  x = x < 255.f ? x : 255.f;
  constexpr float kRound = 8388608.f;
  return uint8_t(int32_t((x + kRound) - kRound));
}

}  // namespace

void bgrToPlanarRgb(const uint8_t* bgr, size_t stride, int width, int height, float* rgb) {
  const std::array<float, 256>& lut = byteToValue();
  const size_t w = size_t(width), plane = w * size_t(height);
  float* r = rgb;
  float* g = rgb + plane;
  float* b = rgb + 2 * plane;
  for (int y = 0; y < height; ++y) {
    const uint8_t* p = bgr + size_t(y) * stride;
    const size_t o = size_t(y) * w;
    for (size_t x = 0; x < w; ++x) {
      b[o + x] = lut[p[3 * x]];
      g[o + x] = lut[p[3 * x + 1]];
      r[o + x] = lut[p[3 * x + 2]];
    }
  }
}

void planarRgbToBgr(const float* rgb, int width, int height, uint8_t* bgr, size_t stride) {
  const size_t w = size_t(width), plane = w * size_t(height);
  const float* r = rgb;
  const float* g = rgb + plane;
  const float* b = rgb + 2 * plane;
  for (int y = 0; y < height; ++y) {
    uint8_t* p = bgr + size_t(y) * stride;
    const size_t o = size_t(y) * w;
    for (size_t x = 0; x < w; ++x) {
      p[3 * x] = valueToByte(b[o + x]);
      p[3 * x + 1] = valueToByte(g[o + x]);
      p[3 * x + 2] = valueToByte(r[o + x]);
    }
  }
}

}  // namespace ns::media
