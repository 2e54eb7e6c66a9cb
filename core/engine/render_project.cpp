#include "core/engine/render_project.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include "core/diffusion/noise_schedule.h"
#include "core/diffusion/structured_init.h"
#include "core/engine/engine_common.h"
#include "core/engine/frame_convert.h"
#include "core/engine/memory_budget.h"
#include "core/noise/free_noise.h"
#include "core/noise/noise_ops.h"
#include "core/noise/noise_warper.h"

namespace ns {

Result<Sketch> renderProjectSketch(const Project& project, const SketchInputs& inputs) {
  return engine::guarded("sketch", [&]() -> Result<Sketch> {
    c10::InferenceMode guard;
    return SketchRenderer().render(project, inputs);
  });
}

Result<at::Tensor> projectNoise(const Project& project, const Sketch& sketch, int channels, int latentH, int latentW,
                                std::vector<std::string>& notes) {
  const int64_t F = sketch.frames.size(0);
  at::Tensor noise;
  switch (project.noise.kind) {
    case NoiseKind::Warped: {
      // Warp at the sketch's pixel resolution along its exact flow, then shrink with unit variance
      // to the latent grid (ALGORITHMS.md §2.3-2.4): pixel-level motion survives the downscale.
      WarpSequenceOptions opt;
      opt.outHeight = latentH;
      opt.outWidth = latentW;
      opt.warper.seed = project.seed;
      at::Tensor init = engine::seededNoise({channels, sketch.frames.size(2), sketch.frames.size(3)}, project.seed, "cpu");
      auto seq = NoiseWarper::warpSequence(init, sketch.flow, opt);
      if (!seq.ok()) return seq.error();
      noise = *seq;
      break;
    }
    case NoiseKind::FreeNoise: {
      at::Tensor base = engine::seededNoise({F, channels, latentH, latentW}, project.seed, "cpu");
      noise = FreeNoise::reschedule(base, project.noise.window, project.noise.stride, project.seed);
      break;
    }
    case NoiseKind::Inverted:
      notes.push_back("noise recipe 'inverted' needs inverted media: rendering with random noise instead");
      [[fallthrough]];
    default: {
      std::vector<at::Tensor> per;
      for (int64_t f = 0; f < F; ++f)
        per.push_back(engine::seededNoise({1, channels, latentH, latentW}, project.seed + uint64_t(f), "cpu"));
      noise = at::cat(per);
    }
  }
  if (project.noise.degradation > 0) {
    at::Generator gen = at::detail::createCPUGenerator(project.seed ^ 0xD1B54A32D192ED03ull);
    noise = NoiseOps::degrade(noise, project.noise.degradation, gen);
  }
  return noise.contiguous();
}

Result<RenderProjectResult> renderProject(ModelBundle& model, const RenderProjectRequest& req, JobContext& ctx) {
  if (!model.valid()) return makeError(ErrorKind::Model, "no model is loaded");
  const Project& p = req.project;
  if (auto v = p.validate(); !v.ok()) return v.error();
  const int down = model.codec->downscale();
  const int grid = down * model.denoiser->info().sizeMultiple;
  if (p.width % grid != 0 || p.height % grid != 0)
    return makeError(ErrorKind::BadInput, "canvas " + std::to_string(p.width) + "x" + std::to_string(p.height) +
                                              " must be a multiple of " + std::to_string(grid) + " for this model");
  const double ratio = req.ratioOverride >= 0 ? req.ratioOverride : p.render.noiseRatio;
  const int steps = req.stepsOverride > 0 ? req.stepsOverride : p.render.steps;
  if (!(ratio > 0 && ratio <= 1)) return makeError(ErrorKind::BadInput, "noise ratio α must be in (0, 1]");
  if (steps < 1 || steps > 1000) return makeError(ErrorKind::BadInput, "steps must be between 1 and 1000");
  if (req.onlyFrame >= p.frames)
    return makeError(ErrorKind::BadInput, "frame " + std::to_string(req.onlyFrame) + " is outside the project's " +
                                              std::to_string(p.frames) + " frames");
  {
    // Every frame is denoised in one batch (doubled for guidance): refuse before allocating.
    MemoryRequest mem;
    mem.batch = p.render.cfg != 1.0 ? 2 : 1;
    mem.frames = req.onlyFrame >= 0 ? 1 : p.frames;
    mem.height = p.height;
    mem.width = p.width;
    if (auto fits = checkMemoryBudget("render", mem, model.device); !fits.ok()) return fits.error();
  }
  return engine::guarded("render", [&]() -> Result<RenderProjectResult> {
    c10::InferenceMode guard;
    RenderProjectResult out;
    auto sketch = SketchRenderer().render(p, req.inputs);
    if (!sketch.ok()) return sketch.error();
    ctx.report(0, 1, "sketch");
    const DenoiserInfo& info = model.denoiser->info();
    auto schedule = NoiseSchedule::fromConfig(info.schedule);
    if (!schedule.ok()) return schedule.error();
    auto prompts = engine::encodePrompts(model, fullPrompt(p), p.negativePrompt);
    if (!prompts.ok()) return prompts.error();
    out.notes = prompts->notes;
    const int h = p.height / down, w = p.width / down;
    auto noise = projectNoise(p, *sketch, info.channels, h, w, out.notes);
    if (!noise.ok()) return noise.error();
    if (req.onlyFrame >= 0) {  // warped noise depends on the frames before: slice after making it
      sketch->frames = sketch->frames.narrow(0, req.onlyFrame, 1);
      *noise = noise->narrow(0, req.onlyFrame, 1);
    }
    at::Tensor z0 = model.codec->encode(sketch->frames.to(at::Device(model.device)));

    StructuredInitOptions opt;
    opt.ratio = ratio;
    opt.steps = steps;
    opt.cfgScale = p.render.cfg;
    opt.seed = p.seed;
    opt.noise = noise->to(at::Device(model.device));
    opt.noising = p.render.method == InitMethod::DdimInversion ? StructuredNoising::DdimInversion : StructuredNoising::QSample;
    opt.previewDecode = [&model](const at::Tensor& x0) { return model.codec->decode(x0); };
    auto res = StructuredInit(*model.denoiser, *schedule).run(z0, prompts->cond, prompts->uncond, opt, ctx);
    if (!res.ok()) return res.error();
    out.framesTensor = model.codec->decode(res->latents).to(at::kCPU);
    out.frames = imagesToFrames(out.framesTensor);
    out.sketch = imagesToFrames(sketch->frames);
    out.noise = tensorToFrames(*noise, FrameKind::Noise);
    for (const auto& n : out.notes) spdlog::warn("render: {}", n);
    return out;
  });
}

}  // namespace ns
