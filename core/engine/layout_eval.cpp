#include "core/engine/layout_eval.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>

#include "core/engine/engine.h"
#include "core/engine/model_planning.h"
#include "core/engine/render_project.h"
#include "core/model/held_out.h"
#include "core/model/shapes_verifier.h"
#include "core/model/vocabulary.h"
#include "core/noise/layout_iou_verifier.h"
#include "core/plan/scene_background.h"
#include "core/plan/scene_canvas.h"
#include "core/util/frame_tensors.h"

namespace ns {

namespace {

constexpr int kCanvas = 64;

// What the shapes-world painter makes of a background word: the mean colour of its top and bottom
// halves (the sketch's gradient) and the colour names covering > 2% of it. Objects in those
// colours could not be told from the background by colour segmentation, so layouts avoid them.
struct BackgroundLook {
  Rgb8 top, bottom;
  std::vector<std::string> confusable;
};

BackgroundLook lookOf(const std::string& word, uint64_t seed) {
  const auto kind = scene::SceneBackground::fromName(word);
  scene::SceneCanvas canvas(kCanvas);
  scene::SceneBackground::paint(canvas, scene::SceneBackground::params(kind, seed));
  double sum[2][3] = {{0, 0, 0}, {0, 0, 0}};
  std::map<std::string, int> counts;
  for (int y = 0; y < kCanvas; ++y)
    for (int x = 0; x < kCanvas; ++x) {
      const scene::Rgb& c = canvas.at(x, y);
      const int half = y < kCanvas / 2 ? 0 : 1;
      sum[half][0] += c.r, sum[half][1] += c.g, sum[half][2] += c.b;
      const std::string name = LayoutIouVerifier::classify(c.r, c.g, c.b);
      if (!name.empty()) ++counts[name];
    }
  auto toRgb = [](const double* s) {
    const double n = kCanvas * kCanvas / 2.0;
    auto u8 = [n](double v) { return uint8_t(std::clamp(v / n, 0.0, 1.0) * 255.0 + 0.5); };
    return Rgb8{u8(s[0]), u8(s[1]), u8(s[2])};
  };
  BackgroundLook look{toRgb(sum[0]), toRgb(sum[1]), {}};
  for (const auto& [name, n] : counts)
    if (n > kCanvas * kCanvas / 50) look.confusable.push_back(name);
  return look;
}

NormBox randomBox(std::mt19937_64& rng) {
  std::uniform_real_distribution<float> size(0.26f, 0.4f), pos(0.f, 1.f);
  const float w = size(rng), h = std::clamp(w * std::uniform_real_distribution<float>(0.85f, 1.15f)(rng), 0.22f, 0.45f);
  const float x0 = 0.02f + pos(rng) * (0.96f - w), y0 = 0.02f + pos(rng) * (0.96f - h);
  return {x0, y0, x0 + w, y0 + h};
}

}  // namespace

Project makeEvalLayout(uint64_t seed, int frames) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 17);
  const auto& colours = Vocabulary::colours();
  const auto& shapes = Vocabulary::shapes();
  const auto& bgs = Vocabulary::backgrounds();
  Project p;
  p.width = p.height = kCanvas;
  p.frames = frames;
  p.seed = seed;
  p.noise.kind = NoiseKind::Warped;
  p.noise.degradation = 0.1;
  const int bgIndex = int(rng() % bgs.size());
  const std::string bg = bgs[size_t(bgIndex)];
  const BackgroundLook look = lookOf(bg, seed);
  p.background.kind = BackgroundKind::Gradient;
  p.background.colour = look.top;
  p.background.colour2 = look.bottom;
  p.background.direction = GradientDirection::Vertical;

  SceneSpec spec;
  spec.background = bg;
  const int count = 1 + int(rng() % 2);
  std::vector<std::string> used = look.confusable;
  for (int k = 0; k < count; ++k) {
    // Held out: a (colour, shape, background) triple the built-in model never saw in training,
    // in a colour the background does not have and no other object uses.
    std::vector<std::pair<int, int>> options;
    for (int c = 0; c < int(colours.size()); ++c) {
      if (std::find(used.begin(), used.end(), colours[size_t(c)]) != used.end()) continue;
      for (int s = 0; s < int(shapes.size()); ++s)
        if (isHeldOutTriple(c, s, bgIndex)) options.emplace_back(c, s);
    }
    if (options.empty()) break;
    const auto [c, s] = options[size_t(rng() % options.size())];
    used.push_back(colours[size_t(c)]);
    ProjectObject o;
    o.id = "obj" + std::to_string(k);
    o.source.kind = SourceKind::BuiltinShape;
    o.source.colour = colours[size_t(c)];
    o.source.shape = shapes[size_t(s)];
    o.z = k;
    const bool smooth = rng() % 2 == 0;
    o.trajectory.setInterpolation(smooth ? Interpolation::CatmullRom : Interpolation::Linear);
    const int keys = smooth ? 3 : 2;
    for (int i = 0; i < keys; ++i) {
      Keyframe key;
      key.frame = (frames - 1) * i / (keys - 1);
      key.box = randomBox(rng);
      o.trajectory.setKey(key);
    }
    p.objects.push_back(o);
    spec.objects.push_back({o.source.shape, o.source.colour, {}});
  }
  p.prompt = Vocabulary::caption(spec);
  return p;
}

Project modelPlannedLayout(const Project& flat) {
  Project p = flat;
  p.background = Background{};
  p.background.kind = BackgroundKind::Generate;  // prompt "" = the global prompt without the objects
  for (ProjectObject& o : p.objects) {
    o.prompt = objectPrompt(o);
    o.source = ObjectSource{};
    o.source.kind = SourceKind::Generate;
  }
  return p;
}

LayoutScore scoreLayout(const Project& project, const at::Tensor& frames) {
  LayoutScore s;
  at::Tensor f = frames.to(at::kCPU).to(at::kFloat).contiguous();
  for (int64_t k = 0; k < f.size(0); ++k) {
    for (const SceneObject& o : project.layoutAt(double(k))) {
      ++s.samples;
      auto box = LayoutIouVerifier::findObjectBox(f[k], o.colour);
      if (!box) continue;
      ++s.found;
      s.iouSum += iou(*box, o.box);
    }
  }
  return s;
}

Result<LayoutEvalReport> evaluateLayoutControl(ModelBundle& model, const LayoutEvalRequest& req, JobContext& ctx) {
  if (req.layouts < 1 || req.frames < 1 || req.steps < 1)
    return makeError(ErrorKind::BadInput, "layouts, frames and steps must be at least 1");
  for (double r : req.ratios)
    if (!(r > 0 && r <= 1)) return makeError(ErrorKind::BadInput, "ratios: " + std::to_string(r) + " is outside (0, 1]");
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  LayoutEvalReport rep;
  rep.layouts = req.layouts, rep.frames = req.frames, rep.steps = req.steps;
  const size_t R = req.ratios.size();
  const size_t rows = 1 + R + (req.modelPlanned ? R : 0);
  std::vector<LayoutScore> scores(rows);
  std::vector<double> seconds(rows, 0.0);
  std::vector<int> bgRight(rows, 0), bgFrames(rows, 0);
  auto* shapes = dynamic_cast<ShapesVerifier*>(model.verifier.get());
  // Background accuracy: the verifier's background class of each frame against the layout's word.
  auto scoreBackground = [&](size_t row, const at::Tensor& frames, int want) {
    if (!shapes || want < 0) return;
    const ShapesPrediction pred = shapes->classify(frames);
    bgRight[row] += int(pred.background.eq(want).sum().item<int64_t>());
    bgFrames[row] += int(frames.size(0));
  };
  for (int i = 0; i < req.layouts; ++i) {
    Project p = makeEvalLayout(req.seed + uint64_t(i), req.frames);
    p.render.steps = req.steps;
    p.render.cfg = req.cfg;
    const std::string prompt = fullPrompt(p);
    spdlog::info("layout eval {}/{}: \"{}\"", i + 1, req.layouts, prompt);
    // Plain generation: the same prompt and per-frame seeds from pure noise.
    auto t0 = Clock::now();
    GenerateRequest g;
    g.prompt = prompt;
    g.negativePrompt = p.negativePrompt;
    g.seed = p.seed;
    g.steps = req.steps;
    g.cfg = req.cfg;
    g.size = p.width;
    g.frames = p.frames;
    auto plain = generate(model, g, ctx);
    if (!plain.ok()) return plain.error();
    const int wantBg = Vocabulary::indexOf(Vocabulary::backgrounds(), Vocabulary::parse(p.prompt).background);
    const at::Tensor plainImages = framesToImages(plain->frames);
    const LayoutScore sp = scoreLayout(p, plainImages);
    scores[0].iouSum += sp.iouSum, scores[0].found += sp.found, scores[0].samples += sp.samples;
    scoreBackground(0, plainImages, wantBg);
    seconds[0] += std::chrono::duration<double>(Clock::now() - t0).count();
    for (size_t r = 0; r < req.ratios.size(); ++r) {
      t0 = Clock::now();
      RenderProjectRequest rr;
      rr.project = p;
      rr.ratioOverride = req.ratios[r];
      auto out = renderProject(model, rr, ctx);
      if (!out.ok()) return out.error();
      const LayoutScore s = scoreLayout(p, out->framesTensor);
      scores[r + 1].iouSum += s.iouSum, scores[r + 1].found += s.found, scores[r + 1].samples += s.samples;
      scoreBackground(r + 1, out->framesTensor, wantBg);
      seconds[r + 1] += std::chrono::duration<double>(Clock::now() - t0).count();
    }
    if (req.modelPlanned) {
      // Plan once (background + objects by the model), then render that sketch at every α.
      t0 = Clock::now();
      const Project planned = modelPlannedLayout(p);
      SketchInputs inputs;
      auto plan = planWithModel(model, planned, inputs, ModelPlanOptions{}, ctx);
      if (!plan.ok()) return plan.error();
      rep.planSeconds += std::chrono::duration<double>(Clock::now() - t0).count();
      for (size_t r = 0; r < R; ++r) {
        t0 = Clock::now();
        RenderProjectRequest rr;
        rr.project = planned;
        rr.inputs = inputs;
        rr.ratioOverride = req.ratios[r];
        auto out = renderProject(model, rr, ctx);
        if (!out.ok()) return out.error();
        const size_t row = 1 + R + r;
        const LayoutScore s = scoreLayout(planned, out->framesTensor);
        scores[row].iouSum += s.iouSum, scores[row].found += s.found, scores[row].samples += s.samples;
        scoreBackground(row, out->framesTensor, wantBg);
        seconds[row] += std::chrono::duration<double>(Clock::now() - t0).count();
      }
    }
    if (ctx.cancelled()) return makeError(ErrorKind::Cancelled, "layout evaluation cancelled");
  }
  for (size_t k = 0; k < scores.size(); ++k) {
    LayoutEvalRow row;
    row.ratio = k == 0 ? 1.0 : req.ratios[(k - 1) % R];
    char name[48];
    std::snprintf(name, sizeof(name), k > R ? "planned alpha=%.2f" : "alpha=%.2f", row.ratio);
    row.setting = k == 0 ? "plain" : name;
    row.samples = scores[k].samples;
    row.meanIou = scores[k].samples ? scores[k].iouSum / scores[k].samples : 0.0;
    row.foundFraction = scores[k].samples ? double(scores[k].found) / scores[k].samples : 0.0;
    row.seconds = seconds[k];
    row.backgroundAccuracy = bgFrames[k] ? double(bgRight[k]) / bgFrames[k] : -1.0;
    rep.rows.push_back(row);
  }
  rep.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return rep;
}

}  // namespace ns
