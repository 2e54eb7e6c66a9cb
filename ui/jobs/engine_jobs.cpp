// ATen first: its headers use identifiers that Qt's keyword macros (signals, slots, emit) redefine.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "ui/jobs/engine_jobs.h"

#include "core/engine/engine.h"
#include "core/media/project_inputs.h"
#include "core/noise/noise_stats.h"
#include "core/util/frame_tensors.h"

#include <QStandardPaths>

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

std::string withNotes(std::string summary, const std::vector<std::string>& notes) {
  if (!notes.empty()) summary += " (" + joinNotes(notes) + ")";
  return summary;
}

// Where the model-painted parts of a plan are cached: "<file>.nsproj.cache/plan" for a saved
// plan, the user's cache folder for an unsaved one (so Live previews do not paint them again for
// every frame; the cache key holds every input, so plans can share it).
std::string planCacheFor(const Project& p) {
  if (!p.filePath.empty()) return defaultPlanCacheDir(p);
  return (QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + QStringLiteral("/plan")).toStdString();
}

NoiseFieldStats statsOf(const at::Tensor& noise) {
  NoiseStatsOptions o;
  o.ks = false;
  o.crossChannel = false;
  const NoiseStats s = NoiseStats::compute(noise, o);
  NoiseFieldStats out;
  out.count = s.count;
  out.mean = s.mean;
  out.std = s.std;
  out.lag1Horizontal = s.lag1Horizontal;
  out.lag1Vertical = s.lag1Vertical;
  return out;
}

// Random, warped and FreeNoise noise exactly as renderProject makes it ([1,C,h,w], CPU): warped
// noise follows the sketch's flow, so the sketch is rendered first.
Result<at::Tensor> projectNoiseAt(ModelBundle& model, const Project& snapshot, int64_t frame, JobContext& ctx) {
  auto inputs = media::loadProjectInputs(snapshot);
  if (!inputs) return inputs.error();
  // Model-painted parts shape the sketch's flow too (a sprite's alpha): plan them as the render
  // does (from the plan cache when it has them).
  if (needsModelPlanning(snapshot, *inputs)) {
    ModelPlanOptions planning;
    planning.cacheDir = planCacheFor(snapshot);
    auto plan = planWithModel(model, snapshot, *inputs, planning, ctx);
    if (!plan) return plan.error();
  }
  auto sketch = renderProjectSketch(snapshot, *inputs);
  if (!sketch) return sketch.error();
  const int down = model.codec->downscale();
  std::vector<std::string> notes;
  auto all = projectNoise(snapshot, *sketch, model.denoiser->info().channels, snapshot.height / down,
                          snapshot.width / down, notes);
  if (!all) return all.error();
  return all->select(0, std::min<int64_t>(frame, all->size(0) - 1)).unsqueeze(0).cpu();
}

// Whether a kept render noise frame has the shape this model makes for the project (a model
// with another latent size or channel count makes other noise: then it is made again).
bool fitsModel(const FrameBuffer& noise, const ModelBundle& model, const Project& p) {
  if (!model.valid()) return false;
  const int down = model.codec->downscale();
  return noise.channels == model.denoiser->info().channels && noise.height == p.height / down &&
         noise.width == p.width / down;
}

}  // namespace

FrameBuffer previewFrames(const at::Tensor& preview) {
  if (!preview.defined()) return {};
  const at::Tensor images = preview.dim() == 3 ? preview.unsqueeze(0) : preview;
  if (images.dim() != 4 || images.size(1) != 3) return {};
  c10::InferenceMode guard;
  return imagesToFrames(images.detach().to(at::kCPU, at::kFloat));
}

TypedJobFn<RenderOutput> renderJob(const Project& snapshot, int stepsOverride, int onlyFrame) {
  RenderProjectRequest req;
  req.project = snapshot;
  req.stepsOverride = stepsOverride;
  req.onlyFrame = onlyFrame;
  req.planCacheDir = planCacheFor(snapshot);
  std::string noiseKey = renderedNoiseKey(snapshot);
  return [req, noiseKey](ModelBundle& model, JobContext& ctx) mutable -> Result<RenderOutput> {
    // The plan's files (background image/video, cut-out sources) are read here, on the model
    // thread: decoding and GrabCut take a while and must not block the window.
    auto inputs = media::loadProjectInputs(req.project);
    if (!inputs) return inputs.error();
    req.inputs = std::move(*inputs);
    auto r = renderProject(model, req, ctx);
    if (!r) return r.error();
    RenderOutput out;
    out.firstFrame = r->firstFrame;
    out.frames = std::move(r->frames);
    // The sketch (r->sketch) is the render's input, shown as the first step's preview; the
    // window has no other use for it, so it does not travel.
    out.noise.noise = std::move(r->noise);
    out.noise.firstFrame = r->firstFrame;
    out.noise.project = std::move(noiseKey);
    out.notes = std::move(r->notes);
    out.summary = withNotes("rendered \"" + fullPrompt(req.project) + "\"", out.notes);
    return out;
  };
}

TypedJobFn<NoiseFieldOutput> noiseInspectJob(const Project& snapshot, int frame, std::shared_ptr<InversionCache> cache,
                                             const RenderedNoise* rendered) {
  const int k = std::max(0, frame);
  // Only the one frame the inspector shows travels to the model thread.
  FrameBuffer renderedFrame;
  if (snapshot.noise.kind != NoiseKind::Inverted && rendered && rendered->covers(snapshot, k))
    renderedFrame = rendered->frameAt(k);
  return [snapshot, k, cache, renderedFrame](ModelBundle& model, JobContext& ctx) -> Result<NoiseFieldOutput> {
    c10::InferenceMode guard;
    const NoiseKind kind = snapshot.noise.kind;
    NoiseFieldOutput out;
    out.frame = k;
    at::Tensor noise;
    if (kind == NoiseKind::Inverted) {
      if (!cache || !cache->noise) return makeError(ErrorKind::BadInput, "no inverted noise yet: drop a photo and press Invert");
      const at::Tensor xT = cache->noise->xT;
      noise = xT.select(0, std::min<int64_t>(k, xT.size(0) - 1)).unsqueeze(0).cpu();
    } else if (!renderedFrame.empty() && fitsModel(renderedFrame, model, snapshot)) {
      noise = framesToTensor(renderedFrame);
      out.fromRender = true;
    } else {
      auto made = projectNoiseAt(model, snapshot, k, ctx);
      if (!made) return made.error();
      noise = *made;
    }
    out.stats = statsOf(noise);
    out.noise = out.fromRender ? renderedFrame : tensorToFrames(noise, FrameKind::Noise);
    out.summary = "noise " + noiseKindName(kind) + ", frame " + std::to_string(k + 1) +
                  (out.fromRender ? " (the last render's)" : "");
    return out;
  };
}

TypedJobFn<InvertOutput> invertJob(const Project& snapshot, FrameBuffer source, std::shared_ptr<InversionCache> cache) {
  InvertRequest req;
  req.source = std::move(source);
  req.prompt = fullPrompt(snapshot);
  req.steps = snapshot.render.steps;
  req.cfgSource = snapshot.inversion.cfgSource;
  req.seed = snapshot.seed;
  return [req, cache](ModelBundle& model, JobContext& ctx) -> Result<InvertOutput> {
    auto r = invert(model, req, ctx);
    if (!r) return r.error();
    cache->noise = r->noise;
    InvertOutput out;
    {
      c10::InferenceMode guard;
      out.stats = statsOf(r->noise->xT.cpu());
    }
    out.fittedSource = std::move(r->fittedSource);
    out.notes = std::move(r->notes);
    out.summary = withNotes("inverted with \"" + req.prompt + "\"", out.notes);
    return out;
  };
}

TypedJobFn<EditOutput> editJob(const Project& snapshot, const InversionEdits& edits, std::shared_ptr<InversionCache> cache) {
  EditRequest req;
  req.prompt = edits.targetPrompt.toStdString();
  req.skip = snapshot.inversion.skip;
  req.cfg = snapshot.inversion.cfgTarget;
  req.shiftX = edits.shiftX;
  req.shiftY = edits.shiftY;
  for (int c = 0; c < 3; ++c) req.colour[c] = float(edits.colour[c]);
  req.seed = snapshot.seed;
  const EditMask mask = snapshot.inversion.mask;
  const int width = snapshot.width, height = snapshot.height;
  return [req, cache, mask, width, height](ModelBundle& model, JobContext& ctx) -> Result<EditOutput> {
    if (!cache || !cache->noise) return makeError(ErrorKind::BadInput, "invert the photo before editing it");
    EditRequest r = req;
    r.noise = cache->noise;
    // The painted mask at the canvas size, one frame per noise frame when some stroke names a
    // frame: the same 8-bit levels `edit --mask PNG` reads (maskFramesToBuffer).
    if (mask.active()) r.mask = maskFramesToBuffer(mask.rasterizeFrames(width, height, r.noise->frames()));
    auto res = edit(model, r, ctx);
    if (!res) return res.error();
    EditOutput out;
    out.frames = std::move(res->frames);
    out.notes = std::move(res->notes);
    out.summary = withNotes(req.prompt.empty() ? "re-rendered the photo" : "edited to \"" + req.prompt + "\"", out.notes);
    return out;
  };
}

}  // namespace ns::ui
