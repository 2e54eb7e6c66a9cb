#include "core/eval/video_eval.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "core/engine/layout_eval.h"
#include "core/engine/render_project.h"
#include "core/eval/eval_clips.h"
#include "core/eval/video_metrics.h"
#include "core/model/shapes_verifier.h"

namespace ns {

namespace {

using Clock = std::chrono::steady_clock;

// How one setting renders: which model, which noise, short or long clip, which window fusion.
struct SettingPlan {
  bool video = false;
  bool longClip = false;
  NoiseKind noise = NoiseKind::Warped;
  WindowFusion fusion = WindowFusion::FreeNoise;
};

SettingPlan planOf(const std::string& setting) {
  if (setting == "image_random") return {false, false, NoiseKind::Random, WindowFusion::FreeNoise};
  if (setting == "image_warped") return {false, false, NoiseKind::Warped, WindowFusion::FreeNoise};
  if (setting == "video") return {true, false, NoiseKind::Warped, WindowFusion::FreeNoise};
  if (setting == "video_windows_48") return {true, true, NoiseKind::Warped, WindowFusion::Average};
  return {true, true, NoiseKind::FreeNoise, WindowFusion::FreeNoise};  // video_freenoise_48
}

// Sums over clips; the report's means divide by the counts.
struct RowSums {
  LayoutScore layout;
  double flicker = 0, flickerObject = 0, flickerBackground = 0;
  int clips = 0, clipsWithObjects = 0;
  double identity = 0;
  int identityClips = 0;
  double seconds = 0;
};

// Every project's sketch once per clip length: the flow, occlusion and object masks the metrics use.
Result<Sketch> sketchOf(const Project& p) { return renderProjectSketch(p, SketchInputs{}); }

}  // namespace

const std::vector<std::string>& videoEvalSettings() {
  static const std::vector<std::string> names{"image_random", "image_warped", "video", "video_windows_48",
                                              "video_freenoise_48"};
  return names;
}

Result<VideoEvalReport> evaluateVideo(ModelBundle& image, ModelBundle* video, const VideoEvalRequest& req,
                                      JobContext& ctx) {
  if (req.clips < 1) return makeError(ErrorKind::BadInput, "clips must be at least 1, got " + std::to_string(req.clips));
  if (req.steps < 1) return makeError(ErrorKind::BadInput, "steps must be at least 1, got " + std::to_string(req.steps));
  if (req.frames < 2)
    return makeError(ErrorKind::BadInput, "frames must be at least 2, got " + std::to_string(req.frames));
  if (req.longFrames < req.frames)
    return makeError(ErrorKind::BadInput, "long clips (" + std::to_string(req.longFrames) +
                                              " frames) must not be shorter than the short ones (" +
                                              std::to_string(req.frames) + ")");
  if (!(req.ratio > 0 && req.ratio <= 1))
    return makeError(ErrorKind::BadInput, "noise ratio α must be in (0, 1], got " + std::to_string(req.ratio));
  const std::vector<std::string> settings = req.settings.empty() ? videoEvalSettings() : req.settings;
  bool needsVideo = false, needsLong = false;
  for (const auto& s : settings) {
    const auto& known = videoEvalSettings();
    if (std::find(known.begin(), known.end(), s) == known.end())
      return makeError(ErrorKind::BadInput, "unknown setting '" + s +
                                                "' (known: image_random, image_warped, video, video_windows_48, "
                                                "video_freenoise_48)");
    needsVideo = needsVideo || planOf(s).video;
    needsLong = needsLong || planOf(s).longClip;
  }
  if (!image.valid()) return makeError(ErrorKind::Model, "no image model is loaded");
  if (image.denoiser->info().isVideo)
    return makeError(ErrorKind::Model, "the image rows need an image model, got the video model '" +
                                           image.denoiser->info().id + "'");
  if (needsVideo && (!video || !video->valid()))
    return makeError(ErrorKind::Model, "the video rows need a video model (a motion module): none is loaded");
  if (needsVideo && !video->denoiser->info().isVideo)
    return makeError(ErrorKind::Model, "'" + video->denoiser->info().id + "' is not a video model");
  ShapesVerifier* shapes = dynamic_cast<ShapesVerifier*>(image.verifier.get());
  if (!shapes && video) shapes = dynamic_cast<ShapesVerifier*>(video->verifier.get());

  const auto start = Clock::now();
  std::vector<RowSums> sums(settings.size());
  const int units = req.clips * int(settings.size());
  for (int i = 0; i < req.clips; ++i) {
    const uint64_t seed = req.seed + uint64_t(i);
    std::map<bool, Project> clips;
    std::map<bool, Sketch> sketches;
    for (bool isLong : {false, true}) {
      if (isLong && !needsLong) continue;
      Project p = makeVideoEvalClip(seed, req.frames, isLong ? req.longFrames : req.frames);
      p.render.steps = req.steps;
      p.render.cfg = req.cfg;
      p.render.noiseRatio = req.ratio;
      p.noise.window = int(req.windows.length);
      p.noise.stride = int(req.windows.effectiveStride());
      auto sk = sketchOf(p);
      if (!sk.ok()) return sk.error();
      sketches.emplace(isLong, std::move(*sk));
      clips.emplace(isLong, std::move(p));
    }
    spdlog::info("video eval {}/{}: \"{}\"", i + 1, req.clips, clips.at(false).prompt);
    for (size_t s = 0; s < settings.size(); ++s) {
      if (ctx.cancelled()) return makeError(ErrorKind::Cancelled, "video evaluation cancelled");
      const SettingPlan plan = planOf(settings[s]);
      RenderProjectRequest rr;
      rr.project = clips.at(plan.longClip);
      rr.project.noise.kind = plan.noise;
      rr.project.render.context = req.windows;
      rr.project.render.fusion = plan.fusion;
      // Progress of the whole evaluation: this render is unit (i, s) of clips x settings.
      const int unit = i * int(settings.size()) + int(s);
      JobContext sub;
      sub.setProgressCallback([&ctx, &sub, unit, units, name = settings[s]](const JobProgress& pr) {
        if (!ctx.report(unit * pr.total + pr.step, units * pr.total, name, nullptr)) sub.cancel();
      });
      const auto t0 = Clock::now();
      auto out = renderProject(plan.video ? *video : image, rr, sub);
      if (!out.ok()) {
        if (out.error().kind == ErrorKind::Cancelled || ctx.cancelled())
          return makeError(ErrorKind::Cancelled, "video evaluation cancelled");
        return makeError(out.error().kind, settings[s] + ": " + out.error().message);
      }
      RowSums& row = sums[s];
      row.seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      c10::InferenceMode guard;
      const Project& p = rr.project;
      const Sketch& sketch = sketches.at(plan.longClip);
      const at::Tensor frames = out->framesTensor;
      const LayoutScore ls = scoreLayout(p, frames);
      row.layout.iouSum += ls.iouSum, row.layout.found += ls.found, row.layout.samples += ls.samples;
      const FlickerScore fl = temporalFlicker(frames, sketch.flow, sketch.occlusion, sketch.objectIndex);
      row.flicker += fl.all, row.flickerBackground += fl.background, ++row.clips;
      if (fl.objectPixels > 0) row.flickerObject += fl.object, ++row.clipsWithObjects;
      if (shapes) {
        std::vector<NormBox> first, last;
        for (const SceneObject& o : p.layoutAt(0)) first.push_back(o.box);
        for (const SceneObject& o : p.layoutAt(double(p.frames - 1))) last.push_back(o.box);
        if (first.size() == last.size()) {
          row.identity += identityAgreement(*shapes, frames[0], frames[p.frames - 1], first, last);
          ++row.identityClips;
        }
      }
      spdlog::info("video eval {} clip {}: layout IoU {:.3f}, flicker {:.4f}, {:.1f} s", settings[s], i,
                   ls.samples ? ls.iouSum / ls.samples : 0.0, fl.all, row.seconds);
    }
  }
  VideoEvalReport rep;
  rep.clips = req.clips, rep.steps = req.steps;
  for (size_t s = 0; s < settings.size(); ++s) {
    const RowSums& r = sums[s];
    const SettingPlan plan = planOf(settings[s]);
    VideoEvalRow row;
    row.setting = settings[s];
    row.noise = noiseKindName(plan.noise);
    row.frames = plan.longClip ? req.longFrames : req.frames;
    row.clips = r.clips;
    row.layoutIou = r.layout.samples ? r.layout.iouSum / r.layout.samples : 0.0;
    row.flicker = r.clips ? r.flicker / r.clips : 0.0;
    row.flickerBackground = r.clips ? r.flickerBackground / r.clips : 0.0;
    row.flickerObject = r.clipsWithObjects ? r.flickerObject / r.clipsWithObjects : 0.0;
    row.identity = r.identityClips ? r.identity / r.identityClips : -1.0;
    row.seconds = r.seconds;
    rep.rows.push_back(row);
  }
  rep.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return rep;
}

}  // namespace ns
