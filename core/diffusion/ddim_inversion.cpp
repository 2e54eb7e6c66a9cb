#include "core/diffusion/ddim_inversion.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>
#include <spdlog/spdlog.h>

#include <exception>
#include <string>

namespace ns {

Result<DdimInversionResult> DdimInversion::invert(const at::Tensor& x0, const Conditioning& cond,
                                                  const Conditioning& uncond, const DdimInversionOptions& o,
                                                  JobContext& ctx) {
  std::vector<int64_t> ts = m_schedule->timesteps(o.steps);
  if (ts.empty()) {
    return makeError(ErrorKind::BadInput, "DDIM inversion: steps must be in [1, " +
                                              std::to_string(m_schedule->trainSteps()) + "] (got " +
                                              std::to_string(o.steps) + ")");
  }
  if (o.upToTimestep >= 0) {
    std::vector<int64_t> kept;
    for (int64_t t : ts) {
      if (t <= o.upToTimestep) kept.push_back(t);
    }
    if (kept.empty()) {
      return makeError(ErrorKind::BadInput, "DDIM inversion: no schedule timestep is <= " +
                                                std::to_string(o.upToTimestep));
    }
    ts = kept;
  }
  return invert(x0, ts, cond, uncond, o.cfgScale, ctx);
}

Result<DdimInversionResult> DdimInversion::invert(const at::Tensor& x0, const std::vector<int64_t>& ts,
                                                  const Conditioning& cond, const Conditioning& uncond,
                                                  double cfgScale, JobContext& ctx) {
  if (!x0.defined() || !at::isFloatingType(x0.scalar_type()) || (x0.dim() != 4 && x0.dim() != 5)) {
    return makeError(ErrorKind::BadInput, "DDIM inversion: x0 must be a float tensor [B,C,H,W] or [B,C,F,H,W]");
  }
  if (auto v = validateTimesteps(ts, m_schedule->trainSteps(), "DDIM inversion"); !v.ok()) return v.error();
  try {
    Guidance g;
    g.scale = cfgScale;
    auto pred = GuidedPredictor::create(*m_model, cond, uncond, g, x0.size(0));
    if (!pred.ok()) return pred.error();
    c10::NoGradGuard noGrad;
    const int n = int(ts.size());
    DdimInversionResult r;
    r.timesteps = ts;
    r.cfgScale = cfgScale;
    std::vector<int64_t> shape{int64_t(n) + 1};
    for (int64_t s : x0.sizes()) shape.push_back(s);
    r.trajectory = at::empty(shape, x0.options());
    r.trajectory[0].copy_(x0);
    at::Tensor x = x0;
    for (int i = 0; i < n; ++i) {
      if (ctx.cancelled()) return makeError(ErrorKind::Cancelled, "DDIM inversion cancelled");
      const size_t j = size_t(n - 1 - i);  // ascending walk over the descending list
      const int64_t t = ts[j];
      const double aNext = m_schedule->alphaBar(t);
      const double aCur = m_schedule->alphaBar(NoiseSchedule::nextInList(ts, j));  // lower timestep or final ᾱ
      // ε̂ at the target timestep t on the current (less noisy) latent: the usual approximation.
      const PredictionPair pp = pred->predict(x, t, aNext);
      x = ddimInversionStep(x, pp.eps, aCur, aNext);
      r.trajectory[i + 1].copy_(x);
      ctx.report(i + 1, n, "invert");
    }
    r.xT = x;
    return r;
  } catch (const std::exception& e) {
    const auto* c10e = dynamic_cast<const c10::Error*>(&e);
    const std::string what = c10e ? c10e->what_without_backtrace() : e.what();
    spdlog::error("DDIM inversion: {}", what);
    return makeError(ErrorKind::Model, "the model failed during DDIM inversion: " + what);
  }
}

Result<at::Tensor> DdimInversion::regenerate(const DdimInversionResult& inv, const Conditioning& cond,
                                             const Conditioning& uncond, double cfgScale, JobContext& ctx,
                                             const PreviewDecodeFn& previewDecode) {
  if (!inv.xT.defined()) return makeError(ErrorKind::BadInput, "DDIM regeneration: the inversion result is empty");
  return sampleDdim(*m_model, *m_schedule, inv.xT, inv.timesteps, cond, uncond, cfgScale, 0.0, nullptr, ctx,
                    previewDecode);
}

}  // namespace ns
