// invert: a real image/clip -> edit-friendly DDPM noise maps (or the DDIM-inversion baseline).
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include "core/diffusion/ddim_inversion.h"
#include "core/diffusion/edit_friendly_inversion.h"
#include "core/diffusion/noise_schedule.h"
#include "core/engine/engine.h"
#include "core/engine/engine_common.h"
#include "core/engine/inversion_support.h"
#include "core/engine/clip_denoiser.h"
#include "core/util/frame_tensors.h"

namespace ns {

Result<InvertResult> invert(ModelBundle& model, const InvertRequest& req, JobContext& ctx) {
  if (!model.valid()) return makeError(ErrorKind::Model, "no model is loaded");
  if (req.source.empty() || req.source.kind != FrameKind::Image || req.source.channels != 3)
    return makeError(ErrorKind::BadInput, "invert: the source must be one or more RGB image frames");
  if (req.source.count > 512) return makeError(ErrorKind::BadInput, "invert: at most 512 source frames");
  if (req.steps < 1 || req.steps > 1000) return makeError(ErrorKind::BadInput, "steps must be between 1 and 1000");
  if (req.cfgSource < 0 || req.cfgSource > 50)
    return makeError(ErrorKind::BadInput, "source guidance (cfg-src) must be between 0 and 50");
  if (req.eta < 0 || req.eta > 1) return makeError(ErrorKind::BadInput, "eta must be between 0 and 1");
  if (req.method == InversionMethod::Invalid) return makeError(ErrorKind::BadInput, "invert: no inversion method given");

  // A video model inverts the clip jointly: frames [F,C,h,w] through the clip denoiser, whose
  // layout (isVideo) is what the inversions are handed. Bad window settings stop here.
  auto clipDenoiser = engine::clipDenoiserFor(model.denoiser, req.source.count, req.context, req.fusion);
  if (!clipDenoiser.ok()) return clipDenoiser.error();
  const std::shared_ptr<Denoiser>& denoiser = *clipDenoiser;

  return engine::guarded("invert", [&]() -> Result<InvertResult> {
    c10::InferenceMode guard;
    const DenoiserInfo& info = model.denoiser->info();
    auto schedule = NoiseSchedule::fromConfig(info.schedule);
    if (!schedule.ok()) return schedule.error();
    InvertResult out;
    // η = 0 makes z_k = (x_{k−1} − μ_k)/(η·σ_k) undefined: that is DDIM inversion.
    const bool ddim = req.method == InversionMethod::Ddim || req.eta == 0.0;
    if (req.method == InversionMethod::EditFriendly && req.eta == 0.0)
      out.notes.push_back("eta 0 means deterministic DDIM: ran DDIM inversion instead of edit-friendly inversion");

    auto prompts = engine::encodePrompts(model, req.prompt, "");
    if (!prompts.ok()) return prompts.error();
    for (const auto& n : prompts->notes) out.notes.push_back(n);

    const int size = model.pixelSize();
    const at::Tensor fitted = engine::fitCoverSquare(framesToImages(req.source), size);
    const std::string hash = engine::sourceHash8bit(fitted);
    const std::string dev = model.device;
    at::Tensor x0 = model.codec->encode(dev == "cpu" ? fitted : fitted.to(at::Device(dev)));  // [F,C,h,w]
    const bool clipLayout = denoiser->info().isVideo;
    const at::Tensor x0Model = engine::framesToModel(x0, clipLayout);

    auto inv = std::make_shared<InvertedNoise>();
    inv->method = ddim ? "ddim" : "edit-friendly";
    inv->modelId = info.id;
    inv->schedule = info.schedule;
    inv->steps = req.steps;
    inv->cfgSource = req.cfgSource;
    inv->eta = ddim ? 0.0 : req.eta;
    inv->prompt = req.prompt;
    inv->sourceHash = hash;
    inv->x0 = x0.to(at::kCPU);
    spdlog::info("invert: {} frame(s) at {}px, {} steps, {} (cfg {}, eta {})", req.source.count, size, req.steps,
                 inv->method, req.cfgSource, inv->eta);

    if (ddim) {
      DdimInversion dinv(*denoiser, *schedule);
      auto r = dinv.invert(x0Model, prompts->cond, prompts->uncond, DdimInversionOptions{req.steps, req.cfgSource, -1},
                           ctx);
      if (!r.ok()) return r.error();
      inv->xT = engine::modelToFrames(r->xT, clipLayout).to(at::kCPU);
      inv->timesteps = r->timesteps;
    } else {
      EditFriendlyInversion efi(*denoiser, *schedule);
      EditFriendlyInvertOptions o;
      o.steps = req.steps;
      o.eta = req.eta;
      o.cfgScale = req.cfgSource;
      o.seed = req.seed;
      auto r = efi.invert(x0Model, prompts->cond, prompts->uncond, o, ctx);
      if (!r.ok()) return r.error();
      inv->xT = engine::modelToFrames(r->xT, clipLayout).to(at::kCPU);
      inv->zs = engine::modelToFrames(r->zs, clipLayout, 1).to(at::kCPU);
      inv->xts = engine::modelToFrames(r->xts, clipLayout, 1).to(at::kCPU);
      inv->timesteps = r->timesteps;
    }
    out.fittedSource = imagesToFrames(fitted);
    out.noiseView = tensorToFrames(inv->xT, FrameKind::Noise);
    out.noise = std::move(inv);
    return out;
  });
}

}  // namespace ns
