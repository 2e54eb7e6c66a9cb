#pragma once
// Measurements shared by the invert/edit tests (engine, slow, CLI): PSNR, the translation
// between two images from the normalised cross-correlation peak, a known camera pan of a photo.

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <utility>

#include "core/util/frame_buffer.h"

namespace nstest {

// PSNR in dB of a vs b (any matching shapes, values in [0,1]); +inf when identical.
inline double psnr01(const at::Tensor& a, const at::Tensor& b) {
  const double mse = (a.to(at::kDouble) - b.to(at::kDouble)).pow(2).mean().item<double>();
  return mse <= 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(1.0 / mse);
}

inline at::Tensor framesTensor(const ns::FrameBuffer& f) {
  return at::from_blob(const_cast<float*>(f.data.data()), {f.count, f.channels, f.height, f.width},
                       at::TensorOptions().dtype(at::kFloat))
      .clone();
}

// (dx, dy) maximising the normalised cross-correlation of moved[y][x] with base[y−dy][x−dx]
// over their overlap (|dx|,|dy| <= maxShift). Images [C,H,W].
inline std::pair<int, int> correlationPeak(const at::Tensor& base, const at::Tensor& moved, int maxShift,
                                           double* bestScore = nullptr) {
  const int64_t H = base.size(-2), W = base.size(-1);
  double best = -2;
  std::pair<int, int> arg{0, 0};
  for (int dy = -maxShift; dy <= maxShift; ++dy) {
    for (int dx = -maxShift; dx <= maxShift; ++dx) {
      const int64_t y0 = std::max<int64_t>(0, dy), y1 = std::min<int64_t>(H, H + dy);
      const int64_t x0 = std::max<int64_t>(0, dx), x1 = std::min<int64_t>(W, W + dx);
      at::Tensor m = moved.slice(-2, y0, y1).slice(-1, x0, x1).to(at::kDouble);
      at::Tensor b = base.slice(-2, y0 - dy, y1 - dy).slice(-1, x0 - dx, x1 - dx).to(at::kDouble);
      m = m - m.mean();
      b = b - b.mean();
      const double score = (m * b).sum().item<double>() / (std::sqrt((m * m).sum().item<double>() *
                                                                      (b * b).sum().item<double>()) + 1e-12);
      if (score > best) {
        best = score;
        arg = {dx, dy};
      }
    }
  }
  if (bestScore) *bestScore = best;
  return arg;
}

// A clip of `frames` crops size×size from `photo` [3,H,W], the window moving by (vx, vy) pixels
// per frame (a camera pan: content moves by (−vx, −vy)). Returns [F,3,size,size].
inline at::Tensor panClip(const at::Tensor& photo, int frames, int size, int vx, int vy, int startX, int startY) {
  std::vector<at::Tensor> out;
  for (int f = 0; f < frames; ++f)
    out.push_back(photo.slice(1, startY + f * vy, startY + f * vy + size).slice(2, startX + f * vx, startX + f * vx + size));
  return at::stack(out, 0).contiguous();
}

}  // namespace nstest
