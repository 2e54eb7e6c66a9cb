// interpolate: frames between two images (or two clips) by mixing their DDIM-inverted latents
// (slerp, lerp, or NoiseDiffusion, docs/algorithms.md §5) and decoding each mix with DDIM from the
// inversion level. Clips are held as frames [F,C,h,w]; a video model inverts and decodes every
// clip jointly through framesDenoiserFor (issue 16 item 4).
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include <cmath>

#include "core/diffusion/ddim_inversion.h"
#include "core/diffusion/ddim_sampler.h"
#include "core/diffusion/noise_schedule.h"
#include "core/engine/engine_common.h"
#include "core/engine/inversion_support.h"
#include "core/engine/noise_verbs.h"
#include "core/engine/clip_denoiser.h"
#include "core/noise/noise_ops.h"

namespace ns {

namespace {

Result<void> checkRequest(const InterpolateRequest& req) {
  auto image = [](const at::Tensor& t) {
    return t.defined() && (t.dim() == 3 || (t.dim() == 4 && t.size(0) >= 1)) && t.size(-3) == 3 && t.size(-2) > 0 &&
           t.size(-1) > 0;
  };
  if (!image(req.imageA) || !image(req.imageB))
    return makeError(ErrorKind::BadInput, "both inputs must be [3,H,W] RGB images or [F,3,H,W] RGB clips");
  if (req.imageA.dim() != req.imageB.dim() || (req.imageA.dim() == 4 && req.imageA.size(0) != req.imageB.size(0)))
    return makeError(ErrorKind::BadInput, "both inputs must be images or clips of the same length (got " +
                                              std::to_string(req.imageA.dim() == 4 ? req.imageA.size(0) : 1) + " and " +
                                              std::to_string(req.imageB.dim() == 4 ? req.imageB.size(0) : 1) + " frames)");
  if (req.frames < 2 || req.frames > 512) return makeError(ErrorKind::BadInput, "frames must be between 2 and 512");
  if (req.steps < 1 || req.steps > 1000) return makeError(ErrorKind::BadInput, "steps must be between 1 and 1000");
  if (req.cfg < 0 || req.cfg > 50) return makeError(ErrorKind::BadInput, "guidance (cfg) must be between 0 and 50");
  if (req.method == InterpolationMethod::Invalid) return makeError(ErrorKind::BadInput, "unknown interpolation method");
  if (!(req.gamma >= 0 && req.gamma <= 1)) return makeError(ErrorKind::BadInput, "gamma must be between 0 and 1");
  if (!(req.level > 0 && req.level <= 1)) return makeError(ErrorKind::BadInput, "level must be in (0, 1]");
  if (!(req.clipBound > 0)) return makeError(ErrorKind::BadInput, "clip bound must be positive");
  return {};
}

}  // namespace

Result<InterpolateResult> interpolateImages(ModelBundle& model, const InterpolateRequest& req, JobContext& ctx) {
  if (!model.valid()) return makeError(ErrorKind::Model, "no model is loaded");
  if (auto c = checkRequest(req); !c.ok()) return c.error();
  // A video model denoises each clip of F frames jointly (both inverted as one batch of 2 clips).
  auto clipDenoiser =
      engine::clipDenoiserFor(model.denoiser, req.imageA.dim() == 4 ? req.imageA.size(0) : 1, req.context, req.fusion);
  if (!clipDenoiser.ok()) return clipDenoiser.error();
  const std::shared_ptr<Denoiser>& denoiser = *clipDenoiser;
  return engine::guarded("interpolate", [&]() -> Result<InterpolateResult> {
    c10::InferenceMode guard;
    const DenoiserInfo& info = model.denoiser->info();
    auto schedule = NoiseSchedule::fromConfig(info.schedule);
    if (!schedule.ok()) return schedule.error();
    auto prompts = engine::encodePrompts(model, req.prompt, "");
    if (!prompts.ok()) return prompts.error();
    InterpolateResult out;
    out.notes = prompts->notes;

    const at::Device dev(model.device);
    auto asClip = [](const at::Tensor& t) { return (t.dim() == 3 ? t.unsqueeze(0) : t).to(at::kCPU).to(at::kFloat); };
    const at::Tensor clipA = asClip(req.imageA), clipB = asClip(req.imageB);
    const int64_t F = clipA.size(0);
    out.clipFrames = F;
    at::Tensor pair = at::cat({clipA, clipB});  // [2F,3,H,W]: clip A's frames, then clip B's
    at::Tensor z0 = model.codec->encode(engine::fitCoverSquare(pair, model.pixelSize()).to(dev));  // [2F,C,h,w]

    // slerp/lerp invert all the way (their mix is a starting noise); NoiseDiffusion stops at
    // `level` of the schedule, where the images still dominate the latent (§5.2: 140 of 200).
    std::vector<int64_t> ts = schedule->timesteps(req.steps);
    if (req.method == InterpolationMethod::NoiseDiffusion) {
      const int k = std::max(1, int(std::lround(req.level * double(ts.size()))));
      ts.erase(ts.begin(), ts.end() - k);
    }
    DdimInversion inversion(*denoiser, *schedule);
    auto inv = inversion.invert(z0, ts, prompts->cond, prompts->uncond, req.cfg, ctx);
    if (!inv.ok()) return inv.error();
    const at::Tensor xA = inv->xT.narrow(0, 0, F), xB = inv->xT.narrow(0, F, F);
    const at::Tensor z0A = z0.narrow(0, 0, F), z0B = z0.narrow(0, F, F);
    out.startTimestep = inv->timesteps.front();
    const double alphaBar = schedule->alphaBar(out.startTimestep);

    at::Generator gen = at::detail::createCPUGenerator(req.seed);
    std::vector<at::Tensor> mixes;
    for (int i = 0; i < req.frames; ++i) {
      const double f = double(i) / double(req.frames - 1);
      at::Tensor m;
      switch (req.method) {
        case InterpolationMethod::Slerp: m = NoiseOps::slerp(xA, xB, f, SlerpFallback::Lerp); break;
        case InterpolationMethod::Lerp: m = xA * (1.0 - f) + xB * f; break;
        default: {
          NoiseDiffusionParams p;
          p.fraction = f;
          p.gamma = req.gamma;
          p.clipBound = req.clipBound;
          p.boost = req.boost;
          p.alphaBar = alphaBar;
          at::Tensor eps = req.gamma > 0 ? NoiseOps::randn(xA.sizes(), gen, xA.device()) : at::Tensor();
          m = NoiseOps::noiseDiffusionMix(xA, xB, z0A, z0B, p, eps);
        }
      }
      out.fractions.push_back(f);
      out.latentStd.push_back(m.std().item<double>());
      mixes.push_back(m);
    }
    // Decode all mixes as one batch (each a clip of F frames): same DDIM steps the reconstruction
    // of A or B would take.
    auto previewDecode = [&model](const at::Tensor& x0) { return model.codec->previewDecode(x0); };
    auto latents = sampleDdim(*denoiser, *schedule, at::cat(mixes), inv->timesteps, prompts->cond,
                              prompts->uncond, req.cfg, 0.0, nullptr, ctx, previewDecode);
    if (!latents.ok()) return latents.error();
    out.frames = model.codec->decode(*latents).to(at::kCPU);
    for (const auto& n : out.notes) spdlog::warn("interpolate: {}", n);
    return out;
  });
}

}  // namespace ns
