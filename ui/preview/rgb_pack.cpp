#include "ui/preview/rgb_pack.h"

#include <system_error>
#include <thread>

// Built with -fno-trapping-math (ui/preview/CMakeLists.txt): otherwise GCC keeps the clamps as
// branches (a float->int conversion "may trap") and the loop stays scalar. Measured on the 2-core
// CI machine: the scalar loop took ~5 ms per 1024² frame of random data (mispredicted branches).

namespace ns::ui {
namespace {

// Branch-free clamp (NaN fails both comparisons -> 0) and an int32 conversion: SSE/AVX have no
// float->uint32 conversion, so a uint32 cast would also keep the loop scalar.
inline int32_t unorm8(float v) {
  const float lo = v > 0.f ? v : 0.f;
  const float c = lo < 1.f ? lo : 1.f;
  return int32_t(c * 255.f + 0.5f);
}

void packRange(const float* __restrict r, const float* __restrict g, const float* __restrict b, uint32_t bMask,
               uint32_t* __restrict dst, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i)
    dst[i] = uint32_t(unorm8(r[i])) | (uint32_t(unorm8(g[i])) << 8) | ((uint32_t(unorm8(b[i])) & bMask) << 16) |
             0xFF000000u;
}

// Below this many pixels a second thread costs more than it saves.
constexpr size_t kParallelPixels = size_t(1) << 18;

}  // namespace

void packRgb(const float* planes, size_t plane, int layers, uint32_t* dst) {
  const float* r = planes;
  const float* g = layers >= 2 ? planes + plane : planes;
  const float* b = layers >= 3 ? planes + 2 * plane : planes;
  const uint32_t bMask = layers == 2 ? 0u : 0xFFu;
  // The upload runs while the device threads wait for it: on the 2-core CI machine a second
  // thread takes a 1024² frame from ~1.8 to ~1 ms (the loop is bound by reading 12 MB of floats).
  const unsigned cores = std::thread::hardware_concurrency();
  if (plane >= kParallelPixels && cores >= 2) {
    const size_t half = plane / 2;
    try {
      std::thread helper(packRange, r, g, b, bMask, dst, half, plane);
      packRange(r, g, b, bMask, dst, 0, half);
      helper.join();
      return;
    } catch (const std::system_error&) {
      // No thread to be had: pack on this one.
    }
  }
  packRange(r, g, b, bMask, dst, 0, plane);
}

}  // namespace ns::ui
