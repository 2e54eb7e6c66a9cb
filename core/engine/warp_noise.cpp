// warp: Go-with-the-Flow noise along a flow sequence (video or project sketch), saved as safetensors.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include <cmath>

#include "core/engine/engine_common.h"
#include "core/engine/noise_verbs.h"
#include "core/engine/render_project.h"
#include "core/model/safetensors.h"
#include "core/noise/noise_ops.h"
#include "core/noise/noise_stats.h"
#include "core/noise/noise_warper.h"
#include "core/util/seed_streams.h"

namespace ns {

namespace {

Result<void> checkRequest(const WarpNoiseRequest& req) {
  if (req.channels < 1 || req.channels > 64) return makeError(ErrorKind::BadInput, "channels must be between 1 and 64");
  if (req.height < 1 || req.width < 1 || req.height > 4096 || req.width > 4096)
    return makeError(ErrorKind::BadInput, "size must be between 1x1 and 4096x4096");
  if (!(req.degradation >= 0 && req.degradation <= 1))
    return makeError(ErrorKind::BadInput, "degradation must be between 0 and 1");
  return {};
}

std::map<std::string, std::string> metadataFor(const WarpNoiseRequest& req, const at::Tensor& noise, uint64_t seed) {
  return {{"format", "noisestudio-warped-noise"},
          {"source", req.source},
          {"flow_method", req.flowMethod},
          {"seed", std::to_string(seed)},
          {"degradation", std::to_string(req.degradation)},
          {"frames", std::to_string(noise.size(0))},
          {"channels", std::to_string(noise.size(1))},
          {"height", std::to_string(noise.size(2))},
          {"width", std::to_string(noise.size(3))}};
}

}  // namespace

std::vector<NoiseFrameStats> perFrameNoiseStats(const at::Tensor& noise) {
  std::vector<NoiseFrameStats> out;
  NoiseStatsOptions opt;
  opt.ks = false;
  opt.crossChannel = false;
  for (int64_t f = 0; f < noise.size(0); ++f) {
    NoiseStats s = NoiseStats::compute(noise[f], opt);
    NoiseFrameStats fs;
    fs.mean = s.mean;
    fs.std = s.std;
    fs.lag1Horizontal = s.lag1Horizontal;
    fs.lag1Vertical = s.lag1Vertical;
    if (f > 0) fs.temporalCorrelation = NoiseStats::correlation(noise[f], noise[f - 1]);
    out.push_back(fs);
  }
  return out;
}

Result<WarpNoiseResult> warpNoiseFromFlow(const at::Tensor& flows, const WarpNoiseRequest& req, JobContext& ctx) {
  if (auto c = checkRequest(req); !c.ok()) return c.error();
  if (!flows.defined() || flows.dim() != 4 || flows.size(1) != 2 || flows.size(0) < 1)
    return makeError(ErrorKind::BadInput, "flow must be [F-1,2,H,W] with at least two frames");
  if (req.height > flows.size(2) || req.width > flows.size(3))
    return makeError(ErrorKind::BadInput, "output size " + std::to_string(req.width) + "x" + std::to_string(req.height) +
                                              " is larger than the flow resolution " + std::to_string(flows.size(3)) +
                                              "x" + std::to_string(flows.size(2)) + " (noise can only shrink)");
  return engine::guarded("warp", [&]() -> Result<WarpNoiseResult> {
    c10::InferenceMode guard;
    // Warp at the flow's resolution: sub-latent motion accumulates in the state and survives the
    // unit-variance shrink (§2.4); warping at the latent size would quantise it away.
    WarpSequenceOptions opt;
    opt.outHeight = req.height;
    opt.outWidth = req.width;
    opt.warper.seed = mixSeed(req.seed, SeedStream::WarpFresh);  // not the initial field's stream
    at::Tensor init = engine::seededNoise({req.channels, flows.size(2), flows.size(3)}, req.seed, "cpu");
    auto seq = NoiseWarper::warpSequence(init, flows.to(at::kCPU).to(at::kFloat), opt, &ctx);
    if (!seq.ok()) return seq.error();
    at::Tensor noise = *seq;
    if (req.degradation > 0) {
      // Same generator derivation as projectNoise, so a project warped here matches its render.
      at::Generator gen = at::detail::createCPUGenerator(mixSeed(req.seed, SeedStream::Degradation));
      noise = NoiseOps::degrade(noise, req.degradation, gen);
    }
    WarpNoiseResult out;
    out.noise = noise.contiguous();
    out.stats = perFrameNoiseStats(out.noise);
    out.metadata = metadataFor(req, out.noise, req.seed);
    return out;
  });
}

Result<WarpNoiseResult> warpNoiseFromVideo(const at::Tensor& frames, const at::Tensor& flows,
                                           const WarpNoiseRequest& req, JobContext& ctx) {
  if (!frames.defined() || frames.dim() != 4 || frames.size(1) != 3)
    return makeError(ErrorKind::BadInput, "video frames must be [F,3,H,W]");
  if (frames.size(0) < 2)
    return makeError(ErrorKind::BadInput, "the video '" + req.source + "' has " + std::to_string(frames.size(0)) +
                                              " frame(s); warping needs at least 2");
  if (!flows.defined() || flows.dim() != 4 || flows.size(0) != frames.size(0) - 1)
    return makeError(ErrorKind::BadInput, "flow must have one field per pair of consecutive frames");
  return warpNoiseFromFlow(flows, req, ctx);
}

Result<WarpNoiseResult> warpNoiseFromProject(const Project& project, const SketchInputs& inputs,
                                             const WarpNoiseRequest& req, JobContext& ctx) {
  if (auto c = checkRequest(req); !c.ok()) return c.error();
  if (auto v = project.validate(); !v.ok()) return v.error();
  auto sketch = renderProjectSketch(project, inputs);
  if (!sketch.ok()) return sketch.error();
  ctx.report(0, 1, "sketch");
  if (ctx.cancelled()) return makeError(ErrorKind::Cancelled, "cancelled");
  if (req.height > project.height || req.width > project.width)
    return makeError(ErrorKind::BadInput, "output size is larger than the project canvas");
  return engine::guarded("warp", [&]() -> Result<WarpNoiseResult> {
    c10::InferenceMode guard;
    // Exactly the project's recipe path (projectNoise), forced to the warped kind.
    Project p = project;
    p.noise.kind = NoiseKind::Warped;
    p.noise.degradation = req.degradation;
    if (req.seed != 0) p.seed = req.seed;
    WarpNoiseResult out;
    auto noise = projectNoise(p, *sketch, req.channels, req.height, req.width, out.notes);
    if (!noise.ok()) return noise.error();
    out.noise = noise->contiguous();
    out.stats = perFrameNoiseStats(out.noise);
    out.metadata = metadataFor(req, out.noise, p.seed);
    if (out.metadata["flow_method"].empty()) out.metadata["flow_method"] = "sketch-exact";
    return out;
  });
}

Result<void> saveWarpedNoise(const std::string& path, const WarpNoiseResult& result) {
  return writeSafetensors(path, {{"noise", result.noise}}, result.metadata);
}

at::Tensor noiseHeatmap(const at::Tensor& noise) {
  c10::InferenceMode guard;
  // Diverging map: t = clamp(v/3, −1, 1); negative fades white → blue, positive white → red.
  at::Tensor t = (noise.select(1, 0).to(at::kCPU).to(at::kFloat) / 3.0).clamp(-1.0, 1.0);
  at::Tensor pos = t.clamp_min(0), neg = (-t).clamp_min(0);
  at::Tensor r = 1.0 - neg, g = 1.0 - pos - neg, b = 1.0 - pos;
  return at::stack({r, g, b}, 1) * 2.0 - 1.0;
}

}  // namespace ns
