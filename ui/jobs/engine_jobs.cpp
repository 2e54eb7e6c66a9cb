// ATen first: its headers use identifiers that Qt's keyword macros (signals, slots, emit) redefine.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "ui/jobs/engine_jobs.h"

#include "core/engine/engine.h"
#include "core/engine/engine_common.h"
#include "core/engine/frame_convert.h"
#include "core/noise/noise_stats.h"

namespace ns::ui {

struct InversionCache {
  std::shared_ptr<const InvertedNoise> noise;  // written by invertJob, read by edit/noise jobs
};

std::shared_ptr<InversionCache> makeInversionCache() { return std::make_shared<InversionCache>(); }

namespace {

std::string joinNotes(const std::vector<std::string>& notes) {
  std::string s;
  for (const auto& n : notes) s += (s.empty() ? "" : "; ") + n;
  return s;
}

void addStats(JobOutput& out, const at::Tensor& noise) {
  NoiseStatsOptions o;
  o.ks = false;
  o.crossChannel = false;
  const NoiseStats s = NoiseStats::compute(noise, o);
  out.metrics["mean"] = s.mean;
  out.metrics["std"] = s.std;
  out.metrics["lag1"] = 0.5 * (s.lag1Horizontal + s.lag1Vertical);
}

}  // namespace

JobFn renderJob(const Project& snapshot, int stepsOverride, int onlyFrame) {
  GenerateRequest req;
  req.prompt = fullPrompt(snapshot);
  req.negativePrompt = snapshot.negativePrompt;
  req.seed = snapshot.seed + uint64_t(std::max(0, onlyFrame));
  req.steps = stepsOverride > 0 ? stepsOverride : snapshot.render.steps;
  req.cfg = snapshot.render.cfg;
  req.size = snapshot.width == snapshot.height ? snapshot.width : 0;
  req.frames = onlyFrame >= 0 ? 1 : snapshot.frames;
  return [req](ModelBundle& model, JobContext& ctx) -> Result<JobOutput> {
    auto r = generate(model, req, ctx);
    if (!r) return r.error();
    JobOutput out;
    out.frames.push_back(std::move(r->frames));
    out.summary = "rendered \"" + req.prompt + "\"";
    if (!r->notes.empty()) out.summary += " (" + joinNotes(r->notes) + ")";
    return out;
  };
}

JobFn noiseInspectJob(const Project& snapshot, int frame, std::shared_ptr<InversionCache> cache) {
  const NoiseKind kind = snapshot.noise.kind;
  const uint64_t seed = snapshot.seed + uint64_t(std::max(0, frame));
  const int pixels = snapshot.width == snapshot.height ? snapshot.width : 0;
  return [=](ModelBundle& model, JobContext&) -> Result<JobOutput> {
    c10::InferenceMode guard;
    at::Tensor noise;
    if (kind == NoiseKind::Inverted) {
      if (!cache || !cache->noise) return makeError(ErrorKind::BadInput, "no inverted noise yet: drop a photo and press Invert");
      const at::Tensor xT = cache->noise->xT;
      noise = xT.select(0, std::min<int64_t>(std::max(0, frame), xT.size(0) - 1)).unsqueeze(0).cpu();
    } else if (kind == NoiseKind::Random) {
      auto latent = engine::latentSizeFor(model, pixels);
      if (!latent) return latent.error();
      const int c = model.denoiser->info().channels;
      noise = engine::seededNoise({1, c, *latent, *latent}, seed, "cpu");
    } else {
      return makeError(ErrorKind::BadInput, "the inspector shows random and inverted noise; warped and FreeNoise "
                                            "noise need the engine's warp verb, which this build does not have yet");
    }
    JobOutput out;
    addStats(out, noise);
    out.frames.push_back(tensorToFrames(noise, FrameKind::Noise));
    out.summary = "noise " + noiseKindName(kind);
    return out;
  };
}

JobFn invertJob(const Project& snapshot, FrameBuffer source, std::shared_ptr<InversionCache> cache) {
  InvertRequest req;
  req.source = std::move(source);
  req.prompt = fullPrompt(snapshot);
  req.steps = snapshot.render.steps;
  req.cfgSource = snapshot.inversion.cfgSource;
  req.seed = snapshot.seed;
  return [req, cache](ModelBundle& model, JobContext& ctx) -> Result<JobOutput> {
    auto r = invert(model, req, ctx);
    if (!r) return r.error();
    cache->noise = r->noise;
    JobOutput out;
    {
      c10::InferenceMode guard;
      addStats(out, r->noise->xT.cpu());
    }
    out.frames.push_back(std::move(r->fittedSource));
    out.frames.push_back(std::move(r->noiseView));
    out.summary = "inverted with \"" + req.prompt + "\"";
    if (!r->notes.empty()) out.summary += " (" + joinNotes(r->notes) + ")";
    return out;
  };
}

JobFn editJob(const Project& snapshot, const InversionEdits& edits, std::shared_ptr<InversionCache> cache) {
  EditRequest req;
  req.prompt = edits.targetPrompt.toStdString();
  req.skip = snapshot.inversion.skip;
  req.cfg = snapshot.inversion.cfgTarget;
  req.shiftX = edits.shiftX;
  req.shiftY = edits.shiftY;
  for (int c = 0; c < 3; ++c) req.colour[c] = float(edits.colour[c]);
  req.seed = snapshot.seed;
  return [req, cache](ModelBundle& model, JobContext& ctx) -> Result<JobOutput> {
    if (!cache || !cache->noise) return makeError(ErrorKind::BadInput, "invert the photo before editing it");
    EditRequest r = req;
    r.noise = cache->noise;
    auto res = edit(model, r, ctx);
    if (!res) return res.error();
    JobOutput out;
    out.frames.push_back(std::move(res->frames));
    out.summary = req.prompt.empty() ? "re-rendered the photo" : "edited to \"" + req.prompt + "\"";
    if (!res->notes.empty()) out.summary += " (" + joinNotes(res->notes) + ")";
    return out;
  };
}

}  // namespace ns::ui
