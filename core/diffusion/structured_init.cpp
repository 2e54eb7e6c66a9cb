#include "core/diffusion/structured_init.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/diffusion/ddim_inversion.h"
#include "core/diffusion/sampler_steps.h"

namespace ns {

Result<StructuredInitPlan> StructuredInit::plan(const NoiseSchedule& schedule, double ratio, int steps) {
  if (!(ratio > 0.0 && ratio <= 1.0)) {
    return makeError(ErrorKind::BadInput, "structured init: noise ratio must be in (0, 1] (got " +
                                              std::to_string(ratio) + ")");
  }
  const std::vector<int64_t> full = schedule.timesteps(steps);
  if (full.empty()) {
    return makeError(ErrorKind::BadInput, "structured init: steps must be in [1, " +
                                              std::to_string(schedule.trainSteps()) + "] (got " +
                                              std::to_string(steps) + ")");
  }
  const int64_t T = schedule.trainSteps();
  StructuredInitPlan p;
  p.tStar = std::clamp<int64_t>(int64_t(std::llround(ratio * double(T))) - 1, 0, T - 1);
  const auto it = std::find_if(full.begin(), full.end(), [&](int64_t t) { return t <= p.tStar; });
  p.startIndex = int(it - full.begin());
  p.timesteps.assign(it, full.end());
  return p;
}

Result<StructuredInitResult> StructuredInit::run(const at::Tensor& z0, const Conditioning& cond,
                                                 const Conditioning& uncond, const StructuredInitOptions& o,
                                                 JobContext& ctx) {
  if (!z0.defined() || !at::isFloatingType(z0.scalar_type()) || (z0.dim() != 4 && z0.dim() != 5)) {
    return makeError(ErrorKind::BadInput, "structured init: z0 must be a float tensor [B,C,H,W] or [B,C,F,H,W]");
  }
  if (o.noise.defined() && o.noise.sizes() != z0.sizes()) {
    return makeError(ErrorKind::BadInput, "structured init: noise shape " + c10::str(o.noise.sizes()) +
                                              " differs from the sketch latents " + c10::str(z0.sizes()));
  }
  auto p = plan(*m_schedule, o.ratio, o.steps);
  if (!p.ok()) return p.error();
  StructuredInitResult r;
  r.plan = p.value();
  if (r.plan.timesteps.empty()) {
    r.start = z0;
    r.latents = z0;
    return r;
  }
  const int64_t tStart = r.plan.timesteps.front();
  at::Generator gen = at::detail::createCPUGenerator(o.seed);
  {
    c10::NoGradGuard noGrad;
    switch (o.noising) {
      case StructuredNoising::QSample: {
        const at::Tensor eps = o.noise.defined()
                                   ? o.noise.to(z0.device(), z0.scalar_type())
                                   : at::randn(z0.sizes(), gen, at::TensorOptions().dtype(at::kFloat))
                                         .to(z0.device(), z0.scalar_type());
        r.start = qSample(z0, eps, m_schedule->alphaBar(tStart));
        break;
      }
      case StructuredNoising::DdimInversion: {
        DdimInversion inv(*m_model, *m_schedule);
        auto w = inv.invert(z0, r.plan.timesteps, cond, uncond, o.cfgScale, ctx);
        if (!w.ok()) return w.error();
        r.start = w->xT;
        break;
      }
      default: return makeError(ErrorKind::BadInput, "structured init: unknown noising method");
    }
  }
  DdimSampleOptions so;
  so.guidance.scale = o.cfgScale;
  so.eta = o.eta;
  so.gen = &gen;
  so.previewDecode = o.previewDecode;
  auto x = sampleDdim(*m_model, *m_schedule, r.start, r.plan.timesteps, cond, uncond, so, ctx);
  if (!x.ok()) return x.error();
  r.latents = x.value();
  return r;
}

}  // namespace ns
