#include "core/engine/model_eval.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "core/diffusion/ddim_sampler.h"
#include "core/diffusion/noise_schedule.h"
#include "core/engine/engine_common.h"
#include "core/engine/frechet.h"
#include "core/model/held_out.h"
#include "core/model/shapes_verifier.h"
#include "core/model/vocabulary.h"
#include "core/plan/scene_generator.h"

namespace ns {

namespace {
// Held-out single-object scenes: seeds from their own range, kept only when the caption's triple is held out.
std::vector<GeneratedScene> heldOutScenes(int n, int size) {
  SceneOptions opt;
  opt.size = size;
  opt.minObjects = opt.maxObjects = 1;
  SceneGenerator gen(opt);
  std::vector<GeneratedScene> out;
  for (uint64_t s = (1ull << 62); int(out.size()) < n; ++s) {
    GeneratedScene sc = gen.generate(s);
    if (isHeldOutScene(sc.spec)) out.push_back(std::move(sc));
  }
  return out;
}
}  // namespace

Result<ModelEvalReport> evaluateModel(ModelBundle& model, const ModelEvalRequest& req, JobContext& ctx) {
  if (!model.valid()) return makeError(ErrorKind::Model, "no model is loaded");
  auto* verifier = dynamic_cast<ShapesVerifier*>(model.verifier.get());
  if (!verifier) return makeError(ErrorKind::Model, "model eval needs the built-in shapes verifier (verifier.safetensors)");
  if (req.samples < 2 || req.samples > 100000) return makeError(ErrorKind::BadInput, "samples must be between 2 and 100000");
  return engine::guarded("model eval", [&]() -> Result<ModelEvalReport> {
    c10::InferenceMode guard;
    const auto t0 = std::chrono::steady_clock::now();
    const DenoiserInfo& info = model.denoiser->info();
    auto schedule = NoiseSchedule::fromConfig(info.schedule);
    if (!schedule.ok()) return schedule.error();
    const auto scenes = heldOutScenes(req.samples, model.pixelSize());
    const auto timesteps = schedule->timesteps(req.steps);
    auto uncond = model.text->encode("");
    if (!uncond.ok()) return uncond.error();

    std::vector<at::Tensor> generated, clean;
    const int batch = std::max(1, req.batch);
    for (int start = 0; start < req.samples; start += batch) {
      const int n = std::min(batch, req.samples - start);
      std::vector<at::Tensor> conds, noises;
      for (int i = start; i < start + n; ++i) {
        auto c = model.text->encode(scenes[i].caption);
        if (!c.ok()) return c.error();
        conds.push_back(c->cond.context);
        noises.push_back(engine::seededNoise({1, info.channels, info.sampleSize, info.sampleSize},
                                             req.seed + uint64_t(i), model.device));
        clean.push_back(scenes[i].image.unsqueeze(0));
      }
      JobContext inner;  // per-batch sampling; cancel is checked against the outer context below
      auto x = sampleDdim(*model.denoiser, *schedule, at::cat(noises), timesteps, Conditioning{at::cat(conds)},
                          uncond->cond, req.cfg, 0.0, nullptr, inner);
      if (!x.ok()) return x.error();
      generated.push_back(model.codec->decode(*x).to(at::kCPU));
      if (!ctx.report(start + n, req.samples, "eval")) return makeError(ErrorKind::Cancelled, "model eval cancelled");
    }
    at::Tensor gen = at::cat(generated), ref = at::cat(clean);
    ShapesPrediction pg = verifier->classify(gen), pc = verifier->classify(ref);
    std::vector<int64_t> colours, shapes;
    for (const auto& s : scenes) {
      colours.push_back(Vocabulary::indexOf(Vocabulary::colours(), s.spec.objects[0].colour));
      shapes.push_back(Vocabulary::indexOf(Vocabulary::shapes(), s.spec.objects[0].shape));
    }
    at::Tensor tc = at::tensor(colours, at::kLong), ts = at::tensor(shapes, at::kLong);
    at::Tensor okC = pg.colour.to(at::kCPU).eq(tc), okS = pg.shape.to(at::kCPU).eq(ts);
    ModelEvalReport r;
    r.samples = req.samples;
    r.colourAccuracy = okC.to(at::kDouble).mean().item<double>();
    r.shapeAccuracy = okS.to(at::kDouble).mean().item<double>();
    r.bothAccuracy = (okC & okS).to(at::kDouble).mean().item<double>();
    r.verifierCleanColourAccuracy = pc.colour.to(at::kCPU).eq(tc).to(at::kDouble).mean().item<double>();
    r.verifierCleanShapeAccuracy = pc.shape.to(at::kCPU).eq(ts).to(at::kDouble).mean().item<double>();
    at::Tensor fg = verifier->features(gen).to(at::kCPU), fc = verifier->features(ref).to(at::kCPU);
    r.frechet = frechetDistance(fg, fc);
    const int64_t half = fc.size(0) / 2;
    r.frechetCleanSplit = frechetDistance(fc.slice(0, 0, half), fc.slice(0, half));
    const int keep = std::min<int>(req.gridSamples, req.samples);
    r.grid = gen.slice(0, 0, keep).clone();
    for (int i = 0; i < keep; ++i) r.captions.push_back(scenes[i].caption);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    spdlog::info("model eval: colour {:.3f} shape {:.3f} FD {:.2f} ({} samples, {:.0f} s)", r.colourAccuracy,
                 r.shapeAccuracy, r.frechet, r.samples, r.seconds);
    return r;
  });
}

}  // namespace ns
