#include "core/engine/inversion_support.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ns::engine {

at::Tensor fitCoverSquare(const at::Tensor& images, int size) {
  at::Tensor x = images.to(at::kFloat);
  const int64_t H = x.size(2), W = x.size(3);
  if (H == size && W == size) return x.contiguous();
  const double scale = std::max(double(size) / double(H), double(size) / double(W));
  const int64_t h = std::max<int64_t>(size, int64_t(std::lround(double(H) * scale)));
  const int64_t w = std::max<int64_t>(size, int64_t(std::lround(double(W) * scale)));
  // Area averaging when shrinking avoids aliasing; bilinear when enlarging (as media::fitCover).
  if (scale < 1.0) x = at::adaptive_avg_pool2d(x, {h, w});
  else x = at::upsample_bilinear2d(x, {h, w}, false);
  const int64_t top = (h - size) / 2, left = (w - size) / 2;
  return x.slice(2, top, top + size).slice(3, left, left + size).contiguous();
}

std::string sourceHash8bit(const at::Tensor& images) {
  const at::Tensor px =
      ((images.to(at::kCPU, at::kFloat) + 1.0) * 0.5).clamp(0.0, 1.0).mul(255.0).round().to(at::kByte).contiguous();
  const uint8_t* p = px.data_ptr<uint8_t>();
  uint64_t h = 0xcbf29ce484222325ull;
  for (int64_t i = 0; i < px.numel(); ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

at::Tensor framesToModel(const at::Tensor& frames, bool isVideo, int lead) {
  if (!isVideo) return frames;
  // [lead…, F, C, h, w] -> [lead…, 1, C, F, h, w]
  return frames.transpose(lead, lead + 1).unsqueeze(lead).contiguous();
}

at::Tensor modelToFrames(const at::Tensor& x, bool isVideo, int lead) {
  if (!isVideo) return x;
  return x.squeeze(lead).transpose(lead, lead + 1).contiguous();
}

Result<InversionResult> toInversionResult(const InvertedNoise& n, const NoiseSchedule& schedule, bool isVideo) {
  const int T = int(n.timesteps.size());
  if (n.method != "edit-friendly" || !n.zs.defined() || !n.xts.defined())
    return makeError(ErrorKind::BadInput, "the noise file holds no edit-friendly noise maps (method '" + n.method + "')");
  if (T < 1 || n.zs.size(0) != T || n.xts.size(0) != T + 1)
    return makeError(ErrorKind::BadInput, "the noise file's maps (" + std::to_string(n.zs.size(0)) + " z maps, " +
                                              std::to_string(n.xts.size(0)) + " states) do not match its " +
                                              std::to_string(T) + " timesteps");
  InversionResult r;
  r.timesteps = n.timesteps;
  r.zs = framesToModel(n.zs, isVideo, 1);
  r.xts = framesToModel(n.xts, isVideo, 1);
  r.xT = r.xts[T];
  r.alphaBars.resize(size_t(T) + 1);
  r.alphaBars[0] = schedule.finalAlphaBar();
  for (int k = 1; k <= T; ++k) r.alphaBars[size_t(k)] = schedule.alphaBar(n.timesteps[size_t(T - k)]);
  r.sigmas.resize(size_t(T));
  for (int k = 1; k <= T; ++k)
    r.sigmas[size_t(k - 1)] = EditFriendlyInversion::sigma(r.alphaBars[size_t(k)], r.alphaBars[size_t(k - 1)]);
  r.etas.assign(size_t(T), n.eta);
  r.eta = n.eta;
  r.cfgScale = n.cfgSource;
  return r;
}

}  // namespace ns::engine
