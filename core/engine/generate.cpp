// generate: text-to-image with DDIM; a clip of F frames draws frame i from seed + i.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include "core/diffusion/ddim_sampler.h"
#include "core/diffusion/noise_schedule.h"
#include "core/engine/engine.h"
#include "core/engine/engine_common.h"
#include "core/engine/memory_budget.h"
#include "core/util/frame_tensors.h"
#include "core/util/seed_streams.h"

namespace ns {

Result<FramesResult> generate(ModelBundle& model, const GenerateRequest& req, JobContext& ctx) {
  if (!model.valid()) return makeError(ErrorKind::Model, "no model is loaded");
  if (req.steps < 1 || req.steps > 1000) return makeError(ErrorKind::BadInput, "steps must be between 1 and 1000");
  if (req.frames < 1 || req.frames > 512) return makeError(ErrorKind::BadInput, "frames must be between 1 and 512");
  if (req.cfg < 0 || req.cfg > 50) return makeError(ErrorKind::BadInput, "guidance (cfg) must be between 0 and 50");
  at::Tensor given = req.initialNoise;
  const DenoiserInfo& info = model.denoiser->info();
  if (given.defined()) {
    if (given.dim() == 3) given = given.unsqueeze(0);
    if (given.dim() != 4 || given.size(1) != info.channels || given.size(2) < 1 || given.size(3) < 1 ||
        !given.is_floating_point())
      return makeError(ErrorKind::BadInput, "the starting noise must be a float tensor [" + std::to_string(info.channels) +
                                                ",h,w] or [N," + std::to_string(info.channels) + ",h,w] for this model");
    if (given.size(0) != req.frames)
      return makeError(ErrorKind::BadInput, "the starting noise holds " + std::to_string(given.size(0)) +
                                                " noise maps for " + std::to_string(req.frames) + " frame(s)");
    if (given.size(2) % info.sizeMultiple != 0 || given.size(3) % info.sizeMultiple != 0)
      return makeError(ErrorKind::BadInput, "the starting noise is " + std::to_string(given.size(3)) + " x " +
                                                std::to_string(given.size(2)) + " latent pixels, not multiples of " +
                                                std::to_string(info.sizeMultiple));
  }
  Result<engine::LatentDims> latent = engine::LatentDims{};
  if (given.defined())
    latent = engine::LatentDims{int(given.size(2)), int(given.size(3))};
  else if (req.width != 0 || req.height != 0)
    latent = engine::latentDimsFor(model, req.width, req.height);
  else
    latent = engine::latentDimsFor(model, req.size, req.size);
  if (!latent.ok()) return latent.error();
  {
    // All frames go through the network in one batch, doubled for guidance: refuse before
    // allocating anything when that cannot fit.
    MemoryRequest mem;
    mem.batch = req.cfg != 1.0 ? 2 : 1;
    mem.frames = req.frames;
    mem.height = int64_t(latent->height) * model.codec->downscale();
    mem.width = int64_t(latent->width) * model.codec->downscale();
    if (auto fits = checkMemoryBudget("generate", mem, model.device); !fits.ok()) return fits.error();
  }
  return engine::guarded("generate", [&]() -> Result<FramesResult> {
    c10::InferenceMode guard;
    auto schedule = NoiseSchedule::fromConfig(info.schedule);
    if (!schedule.ok()) return schedule.error();
    auto prompts = engine::encodePrompts(model, req.prompt, req.negativePrompt);
    if (!prompts.ok()) return prompts.error();
    for (const auto& n : prompts->notes) spdlog::warn("generate: {}", n);

    at::Tensor xT;
    if (given.defined()) {
      xT = given.to(at::Device(model.device), at::kFloat).contiguous();
    } else {
      std::vector<at::Tensor> noises;
      for (int i = 0; i < req.frames; ++i)
        noises.push_back(engine::seededNoise({1, info.channels, latent->height, latent->width},
                                             mixSeed(req.seed, SeedStream::StartNoise, uint64_t(i)), model.device));
      xT = at::cat(noises, 0);
    }
    at::Generator gen = at::detail::createCPUGenerator(mixSeed(req.seed, SeedStream::SamplerAncestral));
    auto decodePreview = [&model](const at::Tensor& x0) { return model.codec->previewDecode(x0); };
    auto latents = sampleDdim(*model.denoiser, *schedule, xT, schedule->timesteps(req.steps), prompts->cond,
                              prompts->uncond, req.cfg, req.eta, &gen, ctx, decodePreview);
    if (!latents.ok()) return latents.error();
    FramesResult out;
    out.frames = imagesToFrames(model.codec->decode(*latents));
    out.notes = prompts->notes;
    return out;
  });
}

}  // namespace ns
