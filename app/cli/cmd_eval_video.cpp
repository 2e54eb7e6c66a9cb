// `noisestudio-cli eval video`: temporal coherence of planned clips rendered by the image model
// and the video model, plain and in context windows (core/eval/video_eval.h; issue 16 item 6).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "app/cli/commands.h"
#include "app/cli/model_loading.h"
#include "core/eval/video_eval.h"
#include "core/model/builtin_model.h"

namespace ns::cli {

namespace {

// One row as `--json` prints it (the five columns first, then what explains them).
nlohmann::json rowJson(const VideoEvalRow& r) {
  return {{"setting", r.setting},
          {"frames", r.frames},
          {"layout_iou", r.layoutIou},
          {"flicker", r.flicker},
          {"identity", r.identity},
          {"noise", r.noise},
          {"flicker_object", r.flickerObject},
          {"flicker_background", r.flickerBackground},
          {"clips", r.clips},
          {"seconds", r.seconds}};
}

// The video model of the video rows: the image model with --motion-module, or, for the built-in
// model without one, its shipped motion module (resources/models/builtin/motion.safetensors).
Result<ModelBundle> loadVideoModelFor(const GlobalOptions& g) {
  GlobalOptions v = g;
  if (v.motionModule.empty() && v.model.empty()) {
    const std::string dir = findBuiltinModelDir();
    const std::string motion = dir.empty() ? std::string() : dir + "/motion.safetensors";
    if (motion.empty() || !std::filesystem::exists(motion))
      return makeError(ErrorKind::Model, "the video rows need a video model: the built-in model has no motion module (" +
                                             (motion.empty() ? std::string("no built-in model folder") : motion) +
                                             " is missing); pass --motion-module FILE or --settings image_random,"
                                             "image_warped");
    v.motionModule = motion;
  }
  if (v.motionModule.empty())
    return makeError(ErrorKind::Model, "the video rows need a video model: pass --motion-module FILE with " + v.model +
                                           " (or --settings image_random,image_warped)");
  return loadModelFor(v);
}

}  // namespace

void addEvalVideoCommand(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  CLI::App* eval = app.get_subcommand("eval");  // made by addEvalLayoutCommand
  auto* video = eval->add_subcommand(
      "video", "Layout IoU, flicker along the planned flow and identity drift of planned clips: image model "
               "(random / warped noise) vs the video model (one window; 48 frames in plain or FreeNoise windows)");
  auto req = std::make_shared<VideoEvalRequest>();
  auto settings = std::make_shared<std::string>();
  video->add_option("--clips", req->clips, "Held-out planned clips")->capture_default_str()->check(CLI::Range(1, 1000));
  video->add_option("--frames", req->frames, "Frames of the short clips (image rows and 'video')")
      ->capture_default_str()
      ->check(CLI::Range(2, 256));
  video->add_option("--long-frames", req->longFrames, "Frames of the long clips (the *_48 rows)")
      ->capture_default_str()
      ->check(CLI::Range(2, 1024));
  video->add_option("--steps", req->steps, "DDIM steps of the full schedule")->capture_default_str()->check(CLI::Range(1, 1000));
  video->add_option("--cfg", req->cfg, "Guidance scale")->capture_default_str();
  video->add_option("--ratio", req->ratio, "Noise ratio α of the structured init (1 = from pure noise)")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 1.0));
  video->add_option("--seed", req->seed, "Seed of the first clip")->capture_default_str();
  video->add_option("--context-length", req->windows.length, "Context window length of the long clips (frames)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  video->add_option("--context-overlap", req->windows.overlap, "Frames shared by consecutive windows")
      ->capture_default_str()
      ->check(CLI::Range(0, 1023));
  video->add_option("--settings", *settings,
                    "Comma-separated rows (default all: image_random,image_warped,video,video_windows_48,"
                    "video_freenoise_48)");
  table.add(video, [&g, req, settings]() {
    req->settings.clear();
    std::stringstream ss(*settings);
    const auto& known = videoEvalSettings();
    for (std::string item; std::getline(ss, item, ',');) {
      if (item.empty()) continue;
      if (std::find(known.begin(), known.end(), item) == known.end())
        return reportError(g, makeError(ErrorKind::BadInput, "--settings: unknown setting '" + item +
                                                                 "' (known: image_random, image_warped, video, "
                                                                 "video_windows_48, video_freenoise_48)"));
      req->settings.push_back(item);
    }
    if (req->windows.overlap >= req->windows.length)
      return reportError(g, makeError(ErrorKind::BadInput, "--context-overlap " + std::to_string(req->windows.overlap) +
                                                               " must be smaller than --context-length " +
                                                               std::to_string(req->windows.length)));
    bool needsVideo = req->settings.empty();
    for (const auto& s : req->settings) needsVideo = needsVideo || s.rfind("video", 0) == 0;
    // The image rows run the model without its motion module; the video rows with it.
    GlobalOptions imageOptions = g;
    imageOptions.motionModule.clear();
    auto image = loadModelFor(imageOptions);
    if (!image.ok()) return reportError(g, image.error());
    Result<ModelBundle> videoModel = makeError(ErrorKind::Model, "no video model asked for");
    if (needsVideo) {
      videoModel = loadVideoModelFor(g);
      if (!videoModel.ok()) return reportError(g, videoModel.error());
    }
    currentJob().setProgressCallback(stderrProgress(g));
    auto rep = evaluateVideo(*image, videoModel.ok() ? &*videoModel : nullptr, *req, currentJob());
    if (!rep.ok()) return reportError(g, rep.error());
    if (g.json) {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& r : rep->rows) rows.push_back(rowJson(r));
      std::cout << nlohmann::json{{"ok", true},           {"clips", rep->clips},
                                  {"steps", rep->steps},  {"seed", req->seed},
                                  {"cfg", req->cfg},      {"ratio", req->ratio},
                                  {"context_length", req->windows.length},
                                  {"context_overlap", req->windows.overlap},
                                  {"seconds", rep->seconds}, {"rows", rows}}
                       .dump(2)
                << std::endl;
    } else {
      std::printf(
          "| setting | frames | noise | layout IoU | flicker | flicker object | flicker background | identity | seconds |\n"
          "|---|---|---|---|---|---|---|---|---|\n");
      for (const auto& r : rep->rows) {
        char id[16] = "n/a";
        if (r.identity >= 0) std::snprintf(id, sizeof(id), "%.3f", r.identity);
        std::printf("| %s | %d | %s | %.3f | %.4f | %.4f | %.4f | %s | %.1f |\n", r.setting.c_str(), r.frames,
                    r.noise.c_str(), r.layoutIou, r.flicker, r.flickerObject, r.flickerBackground, id, r.seconds);
      }
      std::printf("\n%d clips, %d steps, %.1f s\n", rep->clips, rep->steps, rep->seconds);
    }
    return int(kExitOk);
  });
}

}  // namespace ns::cli
