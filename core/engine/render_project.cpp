#include "core/engine/render_project.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include "core/diffusion/noise_schedule.h"
#include "core/diffusion/structured_init.h"
#include "core/engine/engine_common.h"
#include "core/engine/memory_budget.h"
#include "core/engine/clip_denoiser.h"
#include "core/model/clip_frames_denoiser.h"
#include "core/noise/free_noise.h"
#include "core/noise/noise_ops.h"
#include "core/noise/noise_warper.h"
#include "core/util/frame_tensors.h"
#include "core/util/seed_streams.h"

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
      // to the latent grid (docs/algorithms.md §2.3-2.4): pixel-level motion survives the downscale.
      WarpSequenceOptions opt;
      opt.outHeight = latentH;
      opt.outWidth = latentW;
      opt.warper.seed = mixSeed(project.seed, SeedStream::WarpFresh);  // not the initial field's stream
      at::Tensor init = engine::seededNoise({channels, sketch.frames.size(2), sketch.frames.size(3)}, project.seed, "cpu");
      auto seq = NoiseWarper::warpSequence(init, sketch.flow, opt);
      if (!seq.ok()) return seq.error();
      noise = *seq;
      break;
    }
    case NoiseKind::FreeNoise: {
      at::Tensor base = engine::seededNoise({F, channels, latentH, latentW}, project.seed, "cpu");
      noise = FreeNoise::reschedule(base, project.noise.window, project.noise.stride,
                                    mixSeed(project.seed, SeedStream::FreeNoiseShuffle));
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
    at::Generator gen = at::detail::createCPUGenerator(mixSeed(project.seed, SeedStream::Degradation));
    noise = NoiseOps::degrade(noise, project.noise.degradation, gen);
  }
  return noise.contiguous();
}

// Chunk independence (farm renders, live preview): a frame's pixels must not depend on which other
// frames were rendered with it. The noise is made for the whole clip (warped noise and FreeNoise look
// at every frame; both are cheap next to denoising) and then sliced, and image models denoise one
// frame per model call: the same frame in a batch of 16 or of 1 differs in the last bits on CPU
// (BLAS/oneDNN pick kernels by batch size), so a fixed per-frame batch is what makes a chunk's
// frames bitwise those of the full render. Video models see the clip as a whole and are rendered
// in one batch (their chunks could not be independent anyway): the sketch is encoded per frame,
// noised to t* and denoised JOINTLY (Video-MSG) through framesDenoiserFor, in context windows
// (project.render.context / fusion) when the clip is longer than a window.
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
  int begin = req.frameBegin, end = req.frameEnd < 0 ? p.frames : req.frameEnd;
  if (req.onlyFrame >= 0) begin = req.onlyFrame, end = req.onlyFrame + 1;
  if (begin < 0 || begin >= end || end > p.frames)
    return makeError(ErrorKind::BadInput, "frames " + std::to_string(begin) + ":" + std::to_string(end) +
                                              " are not a range inside the project's " + std::to_string(p.frames) +
                                              " frames (0:" + std::to_string(p.frames) + ")");
  const bool perFrame = !model.denoiser->info().isVideo;
  // A video model sees the range as one clip (context windows past render.context.length); bad
  // window settings are refused here, before anything runs.
  auto clipDenoiser = engine::clipDenoiserFor(model.denoiser, perFrame ? 1 : end - begin, p.render.context, p.render.fusion);
  if (!clipDenoiser.ok()) return clipDenoiser.error();
  {
    // The frames of one model call (doubled for guidance): refuse before allocating.
    MemoryRequest mem;
    mem.batch = p.render.cfg != 1.0 ? 2 : 1;
    mem.frames = framesPerModelCall(*model.denoiser, end - begin, p.render.context, p.render.fusion);
    mem.height = p.height;
    mem.width = p.width;
    if (auto fits = checkMemoryBudget("render", mem, model.device); !fits.ok()) return fits.error();
  }
  return engine::guarded("render", [&]() -> Result<RenderProjectResult> {
    c10::InferenceMode guard;
    RenderProjectResult out;
    out.firstFrame = begin;
    SketchInputs inputs = req.inputs;
    if (needsModelPlanning(p, inputs)) {
      ModelPlanOptions planning;
      planning.cacheDir = req.planCacheDir.empty() ? defaultPlanCacheDir(p) : req.planCacheDir;
      planning.onPart = req.onPlannedPart;
      auto plan = planWithModel(model, p, inputs, planning, ctx);
      if (!plan.ok()) return plan.error();
      out.planned = plan->parts;
    }
    auto sketch = SketchRenderer().render(p, inputs);
    if (!sketch.ok()) return sketch.error();
    {
      // The sketch is what the window previews until the first denoised frame arrives: its first
      // frame for an image model (denoised frame by frame), the whole clip for a video model.
      const at::Tensor first = sketch->frames.narrow(0, begin, perFrame ? 1 : end - begin);
      ctx.report(0, 1, "sketch", ctx.wantsPreview() ? &first : nullptr);
    }
    const DenoiserInfo& info = model.denoiser->info();
    auto schedule = NoiseSchedule::fromConfig(info.schedule);
    if (!schedule.ok()) return schedule.error();
    auto prompts = engine::encodePrompts(model, fullPrompt(p), p.negativePrompt);
    if (!prompts.ok()) return prompts.error();
    out.notes = prompts->notes;
    const int h = p.height / down, w = p.width / down;
    auto noise = projectNoise(p, *sketch, info.channels, h, w, out.notes);
    if (!noise.ok()) return noise.error();
    // Warped noise depends on the frames before: slice after making it.
    const at::Tensor sketchFrames = sketch->frames.narrow(0, begin, end - begin);
    const at::Tensor rangeNoise = noise->narrow(0, begin, end - begin);

    StructuredInitOptions opt;
    opt.ratio = ratio;
    opt.steps = steps;
    opt.cfgScale = p.render.cfg;
    opt.seed = p.seed;
    opt.noising = p.render.method == InitMethod::DdimInversion ? StructuredNoising::DdimInversion : StructuredNoising::QSample;
    opt.previewDecode = [&model](const at::Tensor& x0) { return model.codec->previewDecode(x0); };
    const int64_t parts = perFrame ? end - begin : 1;
    const int64_t per = perFrame ? 1 : end - begin;
    StructuredInit init(**clipDenoiser, *schedule);
    std::vector<at::Tensor> decoded;
    for (int64_t k = 0; k < parts; ++k) {
      if (ctx.cancelled()) return makeError(ErrorKind::Cancelled, "render cancelled");
      // One sub-context per part: its steps count as part k of the whole render's progress, and a
      // cancel of the render reaches it at the next step.
      JobContext sub;
      sub.setWantsPreview(ctx.wantsPreview());
      sub.setProgressCallback([&ctx, &sub, k, parts](const JobProgress& pr) {
        if (!ctx.report(int(k) * pr.total + pr.step, int(parts) * pr.total, pr.stage, pr.preview)) sub.cancel();
      });
      at::Tensor z0 = model.codec->encode(sketchFrames.narrow(0, k * per, per).to(at::Device(model.device)));
      opt.noise = rangeNoise.narrow(0, k * per, per).to(at::Device(model.device));
      auto res = init.run(z0, prompts->cond, prompts->uncond, opt, sub);
      if (!res.ok()) return res.error();
      decoded.push_back(model.codec->decode(res->latents).to(at::kCPU));
      if (req.onFrame)
        for (int64_t i = 0; i < per; ++i)
          if (auto done = req.onFrame(begin + int(k * per + i), decoded.back()[i]); !done.ok()) return done.error();
    }
    out.framesTensor = parts == 1 ? decoded.front() : at::cat(decoded);
    out.frames = imagesToFrames(out.framesTensor);
    out.sketch = imagesToFrames(sketchFrames);
    out.noise = tensorToFrames(rangeNoise, FrameKind::Noise);
    for (const auto& n : out.notes) spdlog::warn("render: {}", n);
    return out;
  });
}

}  // namespace ns
