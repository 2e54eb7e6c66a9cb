#include "core/diffusion/ddim_sampler.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>
#include <spdlog/spdlog.h>

#include <exception>

namespace ns {

Result<void> validateTimesteps(const std::vector<int64_t>& ts, int trainSteps, const std::string& what) {
  if (ts.empty()) return makeError(ErrorKind::BadInput, what + ": the timestep list is empty");
  for (size_t i = 0; i < ts.size(); ++i) {
    if (ts[i] < 0 || ts[i] >= trainSteps) {
      return makeError(ErrorKind::BadInput, what + ": timestep " + std::to_string(ts[i]) + " is outside [0, " +
                                                std::to_string(trainSteps - 1) + "]");
    }
    if (i > 0 && ts[i] >= ts[i - 1]) {
      return makeError(ErrorKind::BadInput, what + ": timesteps must be strictly descending (" +
                                                std::to_string(ts[i - 1]) + " then " + std::to_string(ts[i]) + ")");
    }
  }
  return {};
}

Result<at::Tensor> sampleDdim(Denoiser& model, const NoiseSchedule& schedule, at::Tensor x_T,
                              const std::vector<int64_t>& timesteps, const Conditioning& cond,
                              const Conditioning& uncond, double cfgScale, double eta, at::Generator* gen,
                              JobContext& ctx, const PreviewDecodeFn& previewDecode) {
  DdimSampleOptions o;
  o.guidance.scale = cfgScale;
  o.eta = eta;
  o.gen = gen;
  o.previewDecode = previewDecode;
  return sampleDdim(model, schedule, std::move(x_T), timesteps, cond, uncond, o, ctx);
}

Result<at::Tensor> sampleDdim(Denoiser& model, const NoiseSchedule& schedule, at::Tensor x,
                              const std::vector<int64_t>& ts, const Conditioning& cond, const Conditioning& uncond,
                              const DdimSampleOptions& o, JobContext& ctx) {
  if (!x.defined() || !at::isFloatingType(x.scalar_type()) || (x.dim() != 4 && x.dim() != 5)) {
    return makeError(ErrorKind::BadInput, "sampleDdim: x_T must be a float tensor [B,C,H,W] or [B,C,F,H,W]");
  }
  if (auto v = validateTimesteps(ts, schedule.trainSteps(), "sampleDdim"); !v.ok()) return v.error();
  if (!(o.eta >= 0.0)) return makeError(ErrorKind::BadInput, "sampleDdim: eta must be >= 0");
  if (o.eta > 0.0 && o.gen == nullptr) {
    return makeError(ErrorKind::BadInput, "sampleDdim: eta > 0 needs a seeded generator for the variance noise");
  }
  try {
    auto pred = GuidedPredictor::create(model, cond, uncond, o.guidance, x.size(0));
    if (!pred.ok()) return pred.error();
    c10::NoGradGuard noGrad;  // cheap; callers normally also hold an InferenceMode guard
    const int total = int(ts.size());
    for (size_t i = 0; i < ts.size(); ++i) {
      if (ctx.cancelled()) return makeError(ErrorKind::Cancelled, "sampling cancelled at step " + std::to_string(i));
      const double a = schedule.alphaBar(ts[i]);
      const double aPrev = schedule.alphaBar(NoiseSchedule::nextInList(ts, i));
      const PredictionPair pp = pred->predict(x, ts[i], a);
      at::Tensor noise;
      if (o.eta > 0.0) {
        noise = at::randn(x.sizes(), *o.gen, at::TensorOptions().dtype(at::kFloat)).to(x.device(), x.scalar_type());
      }
      x = ddimStep(pp, a, aPrev, o.eta, noise);
      if (o.onStep) o.onStep(i, x);
      if (ctx.wantsPreview()) {
        const at::Tensor preview = o.previewDecode ? o.previewDecode(pp.x0) : pp.x0;
        ctx.report(int(i) + 1, total, o.stage, &preview);
      } else {
        ctx.report(int(i) + 1, total, o.stage);
      }
    }
    return x;
  } catch (const c10::Error& e) {
    spdlog::error("sampleDdim: model call failed: {}", e.what_without_backtrace());
    return makeError(ErrorKind::Model, std::string("the model failed while sampling: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    spdlog::error("sampleDdim: {}", e.what());
    return makeError(ErrorKind::Model, std::string("the model failed while sampling: ") + e.what());
  }
}

}  // namespace ns
