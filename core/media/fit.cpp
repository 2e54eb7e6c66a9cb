#include "core/media/fit.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace ns::media {

at::Tensor fitCover(const at::Tensor& images, int outH, int outW) {
  const bool single = images.dim() == 3;
  at::Tensor x = single ? images.unsqueeze(0) : images;
  x = x.to(at::kFloat);
  const int64_t H = x.size(2), W = x.size(3);
  if (H == outH && W == outW) return images.to(at::kFloat);
  const double scale = std::max(double(outH) / H, double(outW) / W);
  const int64_t h = std::max<int64_t>(outH, int64_t(std::lround(H * scale)));
  const int64_t w = std::max<int64_t>(outW, int64_t(std::lround(W * scale)));
  // Area averaging when shrinking avoids aliasing; bilinear when enlarging.
  if (scale < 1.0) x = at::adaptive_avg_pool2d(x, {h, w});
  else x = at::upsample_bilinear2d(x, {h, w}, false);
  const int64_t top = (h - outH) / 2, left = (w - outW) / 2;
  x = x.slice(2, top, top + outH).slice(3, left, left + outW).contiguous();
  return single ? x[0] : x;
}

}  // namespace ns::media
