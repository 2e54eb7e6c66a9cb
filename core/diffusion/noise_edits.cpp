#include "core/diffusion/noise_edits.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <string>

namespace ns {

namespace {

// Copies the part of src that stays visible after translating by (dx, dy) into dst (same shape);
// dst keeps its values where nothing lands (the exposed border).
void translateInto(const at::Tensor& src, at::Tensor& dst, int dx, int dy) {
  const int64_t H = src.size(-2), W = src.size(-1);
  const int64_t h = H - std::abs(dy), w = W - std::abs(dx);
  const int64_t sy = dy >= 0 ? 0 : -dy, sx = dx >= 0 ? 0 : -dx;  // source origin
  const int64_t ty = dy >= 0 ? dy : 0, tx = dx >= 0 ? dx : 0;     // target origin
  const int64_t hd = src.dim() - 2, wd = src.dim() - 1;
  dst.narrow(hd, ty, h).narrow(wd, tx, w).copy_(src.narrow(hd, sy, h).narrow(wd, sx, w));
}

bool complete(const InversionResult& r) {
  const int T = r.steps();
  return T >= 1 && r.xts.defined() && r.xts.size(0) == T + 1 && int(r.alphaBars.size()) == T + 1 &&
         int(r.sigmas.size()) == T && int(r.etas.size()) == T;
}

}  // namespace

Result<InversionResult> NoiseEdits::shift(const InversionResult& in, int dx, int dy, uint64_t seed) {
  if (!complete(in)) return makeError(ErrorKind::BadInput, "noise shift: the inversion result is incomplete");
  const int64_t H = in.xts.size(-2), W = in.xts.size(-1);
  if (std::abs(dx) >= W || std::abs(dy) >= H) {
    return makeError(ErrorKind::BadInput, "noise shift: (" + std::to_string(dx) + ", " + std::to_string(dy) +
                                              ") is larger than the latent (" + std::to_string(W) + "x" +
                                              std::to_string(H) + ")");
  }
  c10::NoGradGuard noGrad;
  const int T = in.steps();
  InversionResult out = in;
  // Fresh fill, drawn on the CPU (same on every device): zs fill ~ N(0,1); xts fill ~ √(1−A_k)·n.
  at::Generator gen = at::detail::createCPUGenerator(seed);
  const auto opts = at::TensorOptions().dtype(at::kFloat);
  at::Tensor xtsFill = at::randn(in.xts.sizes(), gen, opts).to(in.xts.device(), in.xts.scalar_type());
  for (int k = 0; k <= T; ++k) xtsFill[k].mul_(std::sqrt(1.0 - in.alphaBars[size_t(k)]));
  xtsFill[0].zero_();
  translateInto(in.xts, xtsFill, dx, dy);
  out.xts = xtsFill;
  if (in.zs.defined()) {
    at::Tensor zFill = at::randn(in.zs.sizes(), gen, opts).to(in.zs.device(), in.zs.scalar_type());
    translateInto(in.zs, zFill, dx, dy);
    if (in.firstNoiseZeroed) zFill[0].zero_();
    out.zs = zFill;
  }
  out.xT = out.xts[T];
  return out;
}

Result<InversionResult> NoiseEdits::colourOffset(const InversionResult& in, const std::vector<double>& offsets) {
  if (!complete(in) || !in.zs.defined()) {
    return makeError(ErrorKind::BadInput, "noise colour edit: the inversion result is incomplete (needs zs)");
  }
  const int64_t C = in.xts.size(2);
  if (int64_t(offsets.size()) != C) {
    return makeError(ErrorKind::BadInput, "noise colour edit: " + std::to_string(offsets.size()) +
                                              " offsets for " + std::to_string(C) + " latent channels");
  }
  c10::NoGradGuard noGrad;
  const int T = in.steps();
  const std::vector<double>& A = in.alphaBars;
  int M = 0;
  for (int k = 1; k <= T; ++k) M += (in.etas[size_t(k - 1)] * in.sigmas[size_t(k - 1)] > 0.0) ? 1 : 0;
  if (M == 0) return makeError(ErrorKind::BadInput, "noise colour edit: no step has noise to carry the offset");

  // δ shaped to broadcast over one map [B,C,…].
  std::vector<int64_t> shape(size_t(in.xts.dim() - 1), 1);
  shape[1] = C;
  std::vector<float> d(offsets.begin(), offsets.end());
  const at::Tensor delta = at::tensor(d).view(shape).to(in.xts.device(), in.xts.scalar_type());

  InversionResult out = in;
  out.zs = in.zs.clone();
  out.xts = in.xts.clone();
  int above = 0;  // noisy steps above the current level
  for (int k = T; k >= 0; --k) {
    out.xts[k].add_(delta * (std::sqrt(A[size_t(k)] / A[0]) * double(above) / double(M)));
    if (k == 0) break;
    const double scale = in.etas[size_t(k - 1)] * in.sigmas[size_t(k - 1)];
    if (scale > 0.0) {
      const double o = std::sqrt(A[size_t(k - 1)] / A[0]) / double(M);
      out.zs[k - 1].add_(delta * (o / scale));
      ++above;
    }
  }
  out.xT = out.xts[T];
  return out;
}

at::Tensor NoiseEdits::boxMask(int64_t height, int64_t width, int64_t x0, int64_t y0, int64_t x1, int64_t y1) {
  at::Tensor m = at::zeros({1, 1, height, width}, at::TensorOptions().dtype(at::kFloat));
  x0 = std::max<int64_t>(0, x0);
  y0 = std::max<int64_t>(0, y0);
  x1 = std::min(width, x1);
  y1 = std::min(height, y1);
  if (x1 > x0 && y1 > y0) m.narrow(2, y0, y1 - y0).narrow(3, x0, x1 - x0).fill_(1.0);
  return m;
}

}  // namespace ns
