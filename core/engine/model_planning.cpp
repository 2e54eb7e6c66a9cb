#include "core/engine/model_planning.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>

#include "core/engine/backdrop_matting.h"
#include "core/engine/engine.h"
#include "core/engine/engine_common.h"
#include "core/model/held_out.h"
#include "core/model/safetensors.h"
#include "core/model/vocabulary.h"
#include "core/model/vocabulary_conditioner.h"
#include "core/noise/layout_iou_verifier.h"
#include "core/plan/scene_background.h"
#include "core/plan/scene_canvas.h"
#include "core/util/frame_tensors.h"

namespace ns {

namespace {

namespace fs = std::filesystem;

// Bump when what a key's inputs produce changes (matting, prompt wording, quantisation), so old
// cache files are not taken for new results.
constexpr const char* kPlannerVersion = "plan-v3";

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ull;
  return h;
}

std::string lower(std::string s) {
  for (char& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::string collapseSpaces(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (std::isspace(static_cast<unsigned char>(ch))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += ch;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Strips joining words and punctuation left at either end after taking object prompts out.
std::string trimJoiners(std::string s) {
  static const std::vector<std::string> joiners{"and ", "with ", ", ", ","};
  for (bool again = true; again;) {
    again = false;
    s = collapseSpaces(s);
    for (const auto& j : joiners) {
      if (lower(s).rfind(j, 0) == 0) s = s.substr(j.size()), again = true;
      const std::string tail = " " + (j.back() == ' ' ? j.substr(0, j.size() - 1) : j);
      if (s.size() >= tail.size() && lower(s).compare(s.size() - tail.size(), tail.size(), tail) == 0)
        s = s.substr(0, s.size() - tail.size()), again = true;
    }
  }
  return s;
}

bool speaksVocabularyOnly(const ModelBundle& model) {
  return dynamic_cast<const VocabularyConditioner*>(model.text.get()) != nullptr;
}

// The vocabulary background on which an object of `colour`/`shape` is easiest to cut out: the
// plainest for the matting (lowest τ on the painted background), among those where the object's
// colour covers under 2 % and whose (colour, shape, background) the model saw in training.
std::string vocabularyBackdrop(const std::string& colour, const std::string& shape) {
  constexpr int kSize = 64;
  const int ci = Vocabulary::indexOf(Vocabulary::colours(), colour);
  const int si = Vocabulary::indexOf(Vocabulary::shapes(), shape);
  std::string best;
  float bestTau = 1e9f;
  const auto& bgs = Vocabulary::backgrounds();
  for (int b = 0; b < int(bgs.size()); ++b) {
    if (ci >= 0 && si >= 0 && isHeldOutTriple(ci, si, b)) continue;
    const auto kind = scene::SceneBackground::fromName(bgs[size_t(b)]);
    if (kind == scene::BackgroundKind::Invalid) continue;
    scene::SceneCanvas canvas(kSize);
    scene::SceneBackground::paint(canvas, scene::SceneBackground::params(kind, 1));
    at::Tensor img = at::empty({3, kSize, kSize}, at::kFloat);
    auto a = img.accessor<float, 3>();
    int sameColour = 0;
    for (int y = 0; y < kSize; ++y)
      for (int x = 0; x < kSize; ++x) {
        const scene::Rgb& c = canvas.at(x, y);
        a[0][y][x] = c.r * 2 - 1, a[1][y][x] = c.g * 2 - 1, a[2][y][x] = c.b * 2 - 1;
        if (!colour.empty() && LayoutIouVerifier::classify(c.r, c.g, c.b) == colour) ++sameColour;
      }
    if (sameColour > kSize * kSize / 50) continue;
    const float tau = backdropThreshold(img);
    if (tau < bestTau) bestTau = tau, best = bgs[size_t(b)];
  }
  return best;
}

// Pixels as 8-bit values, the way a PNG keeps them, so a part read back from the cache is
// bitwise the part that was just made.
at::Tensor quantise01(const at::Tensor& x01) { return x01.clamp(0.0, 1.0).mul(255.0).round().div(255.0); }

std::optional<at::Tensor> readCached(const std::string& dir, const std::string& key) {
  if (dir.empty()) return std::nullopt;
  const std::string path = (fs::path(dir) / planCacheFileName(key)).string();
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  auto file = readSafetensors(path);
  if (!file.ok()) {
    spdlog::warn("plan cache: {} is unreadable ({}); planning the part again", path, file.error().message);
    return std::nullopt;
  }
  auto meta = file->metadata.find("key");
  auto t = file->tensors.find("pixels");
  if (meta == file->metadata.end() || meta->second != key || t == file->tensors.end() ||
      t->second.scalar_type() != at::kByte || t->second.dim() != 3 || (t->second.size(0) != 3 && t->second.size(0) != 4)) {
    spdlog::warn("plan cache: {} holds another part or a malformed one; planning the part again", path);
    return std::nullopt;
  }
  return t->second.to(at::kFloat).div(255.0).contiguous();
}

void writeCached(const std::string& dir, const std::string& key, const at::Tensor& x01) {
  if (dir.empty()) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string path = (fs::path(dir) / planCacheFileName(key)).string();
  const at::Tensor u8 = x01.mul(255.0).round().clamp(0, 255).to(at::kByte).contiguous();
  // A cache that cannot be written only costs time later: log it, keep the planned part.
  if (auto w = writeSafetensors(path, {{"pixels", u8}}, {{"key", key}}); !w.ok())
    spdlog::warn("plan cache: cannot write {}: {}", path, w.error().message);
}

// One generate() call as a part of the planning stage: progress and previews go to `ctx` under
// `stage`, a cancel of `ctx` stops it at the next step.
Result<at::Tensor> renderPart(ModelBundle& model, const std::string& prompt, const std::string& negative, uint64_t seed,
                              int width, int height, int steps, double cfg, const std::string& stage, JobContext& ctx) {
  GenerateRequest g;
  g.prompt = prompt;
  g.negativePrompt = negative;
  g.seed = seed;
  g.steps = steps;
  g.cfg = cfg;
  g.width = width;  // the canvas' own aspect: a 768 x 512 plan paints a 768 x 512 background
  g.height = height;
  JobContext sub;
  sub.setWantsPreview(ctx.wantsPreview());
  sub.setProgressCallback([&ctx, &sub, &stage](const JobProgress& p) {
    if (!ctx.report(p.step, p.total, stage, p.preview)) sub.cancel();
  });
  auto out = generate(model, g, sub);
  if (!out.ok()) return out.error();
  c10::InferenceMode guard;
  return framesToImages(out->frames)[0].add(1.0).div(2.0);  // [3,height,width] in [0,1]
}

}  // namespace

bool needsModelPlanning(const Project& project, const SketchInputs& inputs) {
  if (project.background.kind == BackgroundKind::Generate && !inputs.background.defined()) return true;
  for (const ProjectObject& o : project.objects)
    if (o.source.kind == SourceKind::Generate && !inputs.sprites.count(o.id)) return true;
  return false;
}

std::string plannedBackgroundPrompt(const Project& project) {
  const std::string own = collapseSpaces(project.background.prompt);
  if (!own.empty()) return own;
  std::string text = collapseSpaces(project.prompt);
  for (int i : project.drawOrder()) {
    const std::string op = collapseSpaces(objectPrompt(project.objects[size_t(i)]));
    if (op.empty()) continue;
    const size_t at = lower(text).find(lower(op));
    if (at != std::string::npos) text.erase(at, op.size());
  }
  return trimJoiners(text);
}

std::string plannedObjectPrompt(const ModelBundle& model, const ProjectObject& object) {
  const std::string what = collapseSpaces(objectPrompt(object));
  const SceneSpec parsed = Vocabulary::parse(what);
  const std::string colour = parsed.objects.empty() ? std::string() : parsed.objects.front().colour;
  if (speaksVocabularyOnly(model)) {
    SceneSpec backdrop;
    backdrop.background = vocabularyBackdrop(colour, parsed.objects.empty() ? std::string() : parsed.objects.front().shape);
    if (backdrop.background.empty()) return what;
    return what + " " + Vocabulary::caption(backdrop);
  }
  const bool white = lower(what).find("white") != std::string::npos;
  return what + ", a single object isolated on a plain " + (white ? "black" : "white") + " background, centred";
}

uint64_t plannedBackgroundSeed(const Project& project) { return project.background.seed.value_or(project.seed); }

uint64_t plannedObjectSeed(const Project& project, const ProjectObject& object) {
  if (object.source.seed) return *object.source.seed;
  return project.seed ^ fnv1a("object:" + object.id);
}

std::string defaultPlanCacheDir(const Project& project) {
  if (project.filePath.empty()) return {};
  return project.filePath + ".cache/plan";
}

std::string planCacheKey(const ModelBundle& model, const std::string& part, const std::string& prompt,
                         const std::string& negativePrompt, uint64_t seed, int width, int height, int steps, double cfg) {
  char num[64];
  std::snprintf(num, sizeof(num), "%.6g", cfg);
  const std::string modelId = model.denoiser ? model.denoiser->info().id : std::string("?");
  return std::string(kPlannerVersion) + "\npart=" + part + "\nprompt=" + prompt + "\nnegative=" + negativePrompt +
         "\nseed=" + std::to_string(seed) + "\nmodel=" + modelId + "\nmodel_path=" + model.sourcePath +
         "\ndevice=" + model.device + "\nsize=" + std::to_string(width) + "x" + std::to_string(height) +
         "\nsteps=" + std::to_string(steps) + "\ncfg=" + num;
}

std::string planCacheFileName(const std::string& key) {
  char hex[32];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(fnv1a(key)));
  return std::string(key.find("\npart=background") != std::string::npos ? "background-" : "object-") + hex + ".safetensors";
}

Result<ModelPlanResult> planWithModel(ModelBundle& model, const Project& project, SketchInputs& inputs,
                                      const ModelPlanOptions& options, JobContext& ctx) {
  if (!model.valid()) return makeError(ErrorKind::Model, "no model is loaded");
  if (auto v = project.validate(); !v.ok()) return v.error();
  ModelPlanResult result;
  SketchInputs planned = inputs;  // written back only when every part is made
  const int steps = project.render.steps;
  const double cfg = project.render.cfg;

  if (project.background.kind == BackgroundKind::Generate && !planned.background.defined()) {
    const std::string prompt = plannedBackgroundPrompt(project);
    const uint64_t seed = plannedBackgroundSeed(project);
    const std::string key =
        planCacheKey(model, "background", prompt, project.negativePrompt, seed, project.width, project.height, steps, cfg);
    PlannedPart part{"background", prompt, seed, false, {}};
    if (auto hit = readCached(options.cacheDir, key); hit && hit->size(0) == 3 && hit->size(1) == project.height &&
                                                     hit->size(2) == project.width) {
      part.fromCache = true;
      part.image = hit->mul(2.0).sub(1.0);
    } else {
      auto img = renderPart(model, prompt, project.negativePrompt, seed, project.width, project.height, steps, cfg,
                            "plan background", ctx);
      if (!img.ok()) return img.error();
      c10::InferenceMode guard;
      const at::Tensor x01 = quantise01(*img).contiguous();
      writeCached(options.cacheDir, key, x01);
      part.image = x01.mul(2.0).sub(1.0);
    }
    spdlog::info("plan: background \"{}\" seed {} {}", prompt, seed, part.fromCache ? "from the cache" : "rendered");
    planned.background = part.image;
    result.parts.push_back(part);
    if (options.onPart) options.onPart(result.parts.back());
  }

  const int native = model.pixelSize();
  for (size_t i = 0; i < project.objects.size(); ++i) {
    const ProjectObject& o = project.objects[i];
    if (o.source.kind != SourceKind::Generate || planned.sprites.count(o.id)) continue;
    if (ctx.cancelled()) return makeError(ErrorKind::Cancelled, "planning cancelled");
    const std::string prompt = plannedObjectPrompt(model, o);
    const uint64_t seed = plannedObjectSeed(project, o);
    const std::string key = planCacheKey(model, "object", prompt, project.negativePrompt, seed, native, native, steps, cfg);
    PlannedPart part{o.id, prompt, seed, false, {}};
    if (auto hit = readCached(options.cacheDir, key); hit && hit->size(0) == 4) {
      part.fromCache = true;
      part.image = *hit;
    } else {
      auto img = renderPart(model, prompt, project.negativePrompt, seed, native, native, steps, cfg, "plan " + o.id, ctx);
      if (!img.ok()) return img.error();
      auto cut = cutOutFromBackdrop(img->mul(2.0).sub(1.0));
      if (!cut.ok())
        return makeError(cut.error().kind, "objects[" + std::to_string(i) + "]: the model's picture of \"" + prompt +
                                               "\" (seed " + std::to_string(seed) + ") could not be cut out: " +
                                               cut.error().message + "; re-roll its seed or give it an image");
      c10::InferenceMode guard;
      part.image = quantise01(cut->rgba).contiguous();
      writeCached(options.cacheDir, key, part.image);
    }
    auto sprite = Sprite::fromRgba(part.image);
    if (!sprite.ok()) return makeError(sprite.error().kind, "objects[" + std::to_string(i) + "]: " + sprite.error().message);
    spdlog::info("plan: object {} \"{}\" seed {} {}", o.id, prompt, seed, part.fromCache ? "from the cache" : "rendered");
    planned.sprites[o.id] = *sprite;
    result.parts.push_back(part);
    if (options.onPart) options.onPart(result.parts.back());
  }
  for (const auto& p : result.parts) (p.fromCache ? result.cached : result.generated) += 1;
  inputs = std::move(planned);
  return result;
}

}  // namespace ns
