#include "core/noise/noise_warper.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <string>

#include "core/jobs/job_context.h"
#include "core/noise/noise_ops.h"

namespace ns {

NoiseWarper::NoiseWarper(int64_t channels, int64_t height, int64_t width, const NoiseWarperOptions& options,
                         const at::Device& device)
    : m_options(options), m_gen(at::detail::createCPUGenerator(options.seed)) {
  TORCH_CHECK(channels > 0 && height > 0 && width > 0, "NoiseWarper: empty state");
  m_noise = NoiseOps::randn({channels, height, width}, m_gen, device);
  m_weight = at::ones({height, width}, m_noise.options());
}

NoiseWarper::NoiseWarper(const at::Tensor& initialNoise, const NoiseWarperOptions& options)
    : m_options(options), m_gen(at::detail::createCPUGenerator(options.seed)) {
  TORCH_CHECK(initialNoise.dim() == 3 && initialNoise.numel() > 0, "NoiseWarper: initial noise must be [C,H,W]");
  m_noise = initialNoise.to(at::kFloat).contiguous().clone();
  m_weight = at::ones({initialNoise.size(1), initialNoise.size(2)}, m_noise.options());
}

at::Tensor NoiseWarper::resizeFlow(const at::Tensor& flow, int64_t H, int64_t W) {
  const int64_t h = flow.size(1), w = flow.size(2);
  if (h == H && w == W) return flow;
  at::Tensor f = flow.to(at::kFloat).unsqueeze(0);
  if (H <= h && W <= w) {
    f = at::adaptive_avg_pool2d(f, {H, W});  // area when shrinking
  } else {
    f = at::upsample_bilinear2d(f, {H, W}, /*align_corners=*/false);
  }
  f = f.squeeze(0);
  // The displacements are in pixels of the old grid: scale each axis by its own ratio.
  return at::stack({f[0] * (double(W) / double(w)), f[1] * (double(H) / double(h))});
}

Result<void> NoiseWarper::step(const at::Tensor& flow) {
  if (!flow.defined() || flow.dim() != 3 || flow.size(0) != 2 || flow.size(1) < 1 || flow.size(2) < 1) {
    return makeError(ErrorKind::BadInput, "noise warp: flow must be a [2,H,W] tensor of pixel displacements");
  }
  at::Tensor f = resizeFlow(flow.to(m_noise.device(), at::kFloat), height(), width());
  if (!at::isfinite(f).all().item<bool>()) {
    return makeError(ErrorKind::BadInput, "noise warp: flow contains NaN or infinite values");
  }
  if (m_options.progressiveAlpha > 0) {
    m_noise = NoiseOps::degrade(m_noise, m_options.progressiveAlpha, m_gen).contiguous();
  }
  m_lastInfo = WarpStep::run(m_noise, m_weight, f, m_gen, m_options.backend, &m_workspace);
  ++m_frame;
  return {};
}

at::Tensor NoiseWarper::degraded(const at::Tensor& n) {
  if (m_options.degradation <= 0) return n;
  return NoiseOps::degrade(n, m_options.degradation, m_gen);
}

at::Tensor NoiseWarper::noise() { return degraded(m_noise.clone()); }

at::Tensor NoiseWarper::noise(int64_t outH, int64_t outW) {
  if (outH == height() && outW == width()) return noise();
  return degraded(NoiseOps::resizeNoise(m_noise, outH, outW, m_weight));
}

Result<at::Tensor> NoiseWarper::warpSequence(const at::Tensor& initialNoise, const at::Tensor& flows,
                                             const WarpSequenceOptions& options, JobContext* ctx) {
  if (!initialNoise.defined() || initialNoise.dim() != 3) {
    return makeError(ErrorKind::BadInput, "noise warp: initial noise must be [C,H,W]");
  }
  if (!flows.defined() || flows.dim() != 4 || flows.size(1) != 2) {
    return makeError(ErrorKind::BadInput, "noise warp: flows must be [F-1,2,H,W]");
  }
  const int64_t outH = options.outHeight > 0 ? options.outHeight : initialNoise.size(1);
  const int64_t outW = options.outWidth > 0 ? options.outWidth : initialNoise.size(2);
  if (outH > initialNoise.size(1) || outW > initialNoise.size(2)) {
    return makeError(ErrorKind::BadInput, "noise warp: the output size " + std::to_string(outH) + "x" +
                                              std::to_string(outW) + " is larger than the noise state");
  }
  try {
    NoiseWarper warper(initialNoise, options.warper);
    const int64_t frames = flows.size(0) + 1;
    at::Tensor out = at::empty({frames, initialNoise.size(0), outH, outW}, warper.stateNoise().options());
    out[0].copy_(warper.noise(outH, outW));
    for (int64_t k = 1; k < frames; ++k) {
      if (ctx && !ctx->report(int(k - 1), int(frames - 1), "warp")) {
        return makeError(ErrorKind::Cancelled, "noise warp cancelled");
      }
      Result<void> r = warper.step(flows[k - 1]);
      if (!r.ok()) {
        return makeError(r.error().kind, r.error().message + " (flow " + std::to_string(k - 1) + ")");
      }
      out[k].copy_(warper.noise(outH, outW));
    }
    if (ctx) ctx->report(int(frames - 1), int(frames - 1), "warp");
    return out;
  } catch (const c10::Error& e) {
    return makeError(ErrorKind::Internal, std::string("noise warp failed: ") + e.what_without_backtrace());
  }
}

}  // namespace ns
