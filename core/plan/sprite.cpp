#include "core/plan/sprite.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ns {
namespace {

std::string shapeText(const at::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

}  // namespace

Result<Sprite> Sprite::fromRgba(const at::Tensor& rgba) {
  if (!rgba.defined()) return makeError(ErrorKind::BadInput, "sprite: no image given");
  if (rgba.dim() != 3 || rgba.size(0) != 4 || rgba.size(1) < 1 || rgba.size(2) < 1)
    return makeError(ErrorKind::BadInput, "sprite: expected an RGBA image [4,h,w], got " + shapeText(rgba));
  if (!rgba.is_floating_point())
    return makeError(ErrorKind::BadInput, "sprite: expected float values in [0,1]");
  at::Tensor t = rgba.detach().to(at::kCPU, at::kFloat).contiguous().clone();
  if (!at::isfinite(t).all().item<bool>()) return makeError(ErrorKind::BadInput, "sprite: contains NaN or infinity");
  t.clamp_(0.0, 1.0);
  return Sprite(t);
}

Result<Sprite> Sprite::cutOut(const at::Tensor& image, const NormBox& box, const at::Tensor& mask) {
  if (!image.defined() || image.dim() != 3 || image.size(0) != 3)
    return makeError(ErrorKind::BadInput, "cut-out: expected an image [3,H,W] in [-1,1], got " +
                                              (image.defined() ? shapeText(image) : std::string("nothing")));
  const int64_t H = image.size(1), W = image.size(2);
  if (!(box.x0 >= 0 && box.y0 >= 0 && box.x1 <= 1 && box.y1 <= 1 && box.x0 < box.x1 && box.y0 < box.y1))
    return makeError(ErrorKind::BadInput, "cut-out: the box must lie inside the image with x0 < x1 and y0 < y1");
  // Pixels whose centres fall inside the box; at least one pixel.
  const int64_t x0 = std::clamp<int64_t>(int64_t(std::lround(box.x0 * W)), 0, W - 1);
  const int64_t y0 = std::clamp<int64_t>(int64_t(std::lround(box.y0 * H)), 0, H - 1);
  const int64_t x1 = std::clamp<int64_t>(int64_t(std::lround(box.x1 * W)), x0 + 1, W);
  const int64_t y1 = std::clamp<int64_t>(int64_t(std::lround(box.y1 * H)), y0 + 1, H);
  at::Tensor rgb = image.detach().to(at::kCPU, at::kFloat).slice(1, y0, y1).slice(2, x0, x1);
  rgb = ((rgb + 1.0) * 0.5).clamp(0.0, 1.0);
  at::Tensor alpha;
  if (mask.defined()) {
    at::Tensor m = mask.detach().to(at::kCPU, at::kFloat);
    if (m.dim() == 3 && m.size(0) == 1) m = m.squeeze(0);
    if (m.dim() != 2 || m.size(0) != H || m.size(1) != W)
      return makeError(ErrorKind::BadInput, "cut-out: the mask must be [H,W] matching the image " + shapeText(image) +
                                                ", got " + shapeText(mask));
    alpha = m.slice(0, y0, y1).slice(1, x0, x1).clamp(0.0, 1.0).unsqueeze(0);
  } else {
    alpha = at::ones({1, y1 - y0, x1 - x0}, at::kFloat);
  }
  return Sprite(at::cat({rgb, alpha}, 0).contiguous());
}

}  // namespace ns
