#include "core/noise/flow_fields.h"

#include <ATen/ATen.h>

#include <cmath>

namespace ns {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Pixel coordinates relative to the image centre, [H,W] each, float32.
std::pair<at::Tensor, at::Tensor> centredGrid(int64_t h, int64_t w) {
  const auto opts = at::TensorOptions().dtype(at::kFloat);
  const at::Tensor xs = at::arange(w, opts) - float(w - 1) / 2.f;
  const at::Tensor ys = at::arange(h, opts) - float(h - 1) / 2.f;
  return {xs.unsqueeze(0).expand({h, w}), ys.unsqueeze(1).expand({h, w})};
}

}  // namespace

at::Tensor FlowFields::translation(int64_t h, int64_t w, float dx, float dy) {
  at::Tensor f = at::empty({2, h, w}, at::TensorOptions().dtype(at::kFloat));
  f[0].fill_(dx);
  f[1].fill_(dy);
  return f;
}

at::Tensor FlowFields::similarity(int64_t h, int64_t w, float degrees, float zoom, float dx, float dy) {
  auto [x, y] = centredGrid(h, w);
  // Screen y points down, so a counter-clockwise turn on screen is a negative angle in (x, y).
  const double a = -degrees * kPi / 180.0;
  const double c = std::cos(a) * zoom, s = std::sin(a) * zoom;
  const at::Tensor nx = x * c - y * s;
  const at::Tensor ny = x * s + y * c;
  return at::stack({nx - x + dx, ny - y + dy});
}

at::Tensor FlowFields::swirl(int64_t h, int64_t w, float degrees, float radius) {
  auto [x, y] = centredGrid(h, w);
  const at::Tensor r = at::sqrt(x * x + y * y);
  const at::Tensor a = (-degrees * kPi / 180.0) * at::exp(-r / radius);
  const at::Tensor c = at::cos(a), s = at::sin(a);
  return at::stack({x * c - y * s - x, x * s + y * c - y});
}

at::Tensor FlowFields::fromTrajectory(int64_t h, int64_t w, const NormBox& from, const NormBox& to) {
  const auto opts = at::TensorOptions().dtype(at::kFloat);
  // Normalised coordinates of pixel centres.
  const at::Tensor u = ((at::arange(w, opts) + 0.5f) / float(w)).unsqueeze(0).expand({h, w});
  const at::Tensor v = ((at::arange(h, opts) + 0.5f) / float(h)).unsqueeze(1).expand({h, w});
  const at::Tensor inside = (u >= from.x0) & (u < from.x1) & (v >= from.y0) & (v < from.y1);
  const float sx = from.width() > 0 ? to.width() / from.width() : 1.f;
  const float sy = from.height() > 0 ? to.height() / from.height() : 1.f;
  const at::Tensor du = (to.x0 + (u - from.x0) * sx - u) * float(w);
  const at::Tensor dv = (to.y0 + (v - from.y0) * sy - v) * float(h);
  const at::Tensor zero = at::zeros({h, w}, opts);
  return at::stack({at::where(inside, du, zero), at::where(inside, dv, zero)});
}

}  // namespace ns
