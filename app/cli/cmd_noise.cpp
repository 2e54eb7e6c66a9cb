// `noisestudio-cli warp | interpolate | search`: the noise-shaping verbs (core/engine/noise_verbs.h).
#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <regex>

#include "app/cli/commands.h"
#include "app/cli/context_window_flags.h"
#include "app/cli/model_loading.h"
#include "app/cli/output_files.h"
#include "core/engine/engine.h"
#include "core/media/image_io.h"
#include "core/media/media_file.h"
#include "core/media/optical_flow.h"
#include "core/media/project_inputs.h"
#include "core/media/video_io.h"

namespace ns::cli {

namespace {

Result<void> requireFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return makeError(ErrorKind::BadInput, path + ": file not found");
  return {};
}

bool parseSize(const std::string& s, int& w, int& h) {
  std::smatch m;
  static const std::regex re("^([0-9]+)x([0-9]+)$");
  if (!std::regex_match(s, m, re)) return false;
  w = std::stoi(m[1]);
  h = std::stoi(m[2]);
  return w > 0 && h > 0;
}

void addWarp(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  auto* sub = app.add_subcommand(
      "warp",
      "Warp noise along a video's motion (DIS optical flow at the video's resolution, Go-with-the-Flow) or a "
      "project sketch's exact flow; saves safetensors tensor 'noise' [F,C,h,w]");
  auto input = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto size = std::make_shared<std::string>("64x64");
  auto preview = std::make_shared<std::string>();
  auto req = std::make_shared<WarpNoiseRequest>();
  sub->add_option("input", *input, "Video (.mp4 .avi .mkv ...) or project (.nsproj)")->required();
  sub->add_option("-o,--output", *out, "Output .safetensors")->required();
  sub->add_option("--channels", req->channels, "Noise channels")->capture_default_str()->check(CLI::Range(1, 64));
  sub->add_option("--size", *size, "Output noise size WxH (unit-variance shrink of the warped noise)")->capture_default_str();
  sub->add_option("--degradation", req->degradation, "γ: blend with fresh noise (0 = pure warped)")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  sub->add_option("--preview", *preview, "Also write a heat-map video of channel 0 (±3σ: blue-white-red)");
  sub->add_option("--seed", req->seed, "Seed of the initial and fresh noise (project: 0 = the project's seed)")
      ->capture_default_str();
  table.add(sub, [&g, input, out, size, preview, req]() {
    if (!parseSize(*size, req->width, req->height))
      return reportError(g, makeError(ErrorKind::BadInput, "--size must look like 64x64, got '" + *size + "'"));
    if (auto f = requireFile(*input); !f.ok()) return reportError(g, f.error());
    currentJob().setProgressCallback(stderrProgress(g));
    req->source = std::filesystem::path(*input).filename().string();
    double fps = 8.0;
    Result<WarpNoiseResult> res = makeError(ErrorKind::Internal, "not run");
    if (std::filesystem::path(*input).extension() == ".nsproj") {
      auto project = Project::open(*input);
      if (!project.ok()) return reportError(g, project.error());
      auto inputs = media::loadProjectInputs(*project);
      if (!inputs.ok()) return reportError(g, inputs.error());
      req->flowMethod = "sketch-exact";
      fps = project->fps;
      res = warpNoiseFromProject(*project, *inputs, *req, currentJob());
    } else {
      auto clip = media::readVideo(*input);
      if (!clip.ok()) return reportError(g, clip.error());
      if (clip->fps > 0) fps = clip->fps;
      req->flowMethod = "dis-medium";
      if (clip->frames.size(0) < 2)
        return reportError(g, makeError(ErrorKind::BadInput, *input + ": needs at least 2 frames to warp"));
      currentJob().report(0, 1, "flow");
      at::Tensor flows = media::computeFlowSequence(clip->frames, media::FlowMethod::DisMedium);
      res = warpNoiseFromVideo(clip->frames, flows, *req, currentJob());
    }
    if (!res.ok()) return reportError(g, res.error());
    if (auto s = saveWarpedNoise(*out, *res); !s.ok()) return reportError(g, s.error());
    if (!preview->empty()) {
      const nlohmann::json recipe{{"verb", "warp preview"}, {"input", *input},         {"noise", *out},
                                  {"seed", req->seed},      {"degradation", req->degradation}, {"size", *size},
                                  {"channels", req->channels}, {"flow", req->flowMethod}};
      auto w = writeFrames(*preview, noiseHeatmap(res->noise), fps, media::recipeMetadata(recipe.dump()));
      if (!w.ok()) return reportError(g, w.error());
    }
    for (const auto& n : res->notes) std::cerr << "note: " << n << "\n";
    if (g.json) {
      nlohmann::json frames = nlohmann::json::array();
      for (const auto& s : res->stats)
        frames.push_back({{"mean", s.mean}, {"std", s.std}, {"lag1_horizontal", s.lag1Horizontal},
                          {"lag1_vertical", s.lag1Vertical}, {"temporal_correlation", s.temporalCorrelation}});
      nlohmann::json j{{"ok", true}, {"output", *out}, {"shape", res->noise.sizes().vec()},
                       {"metadata", res->metadata}, {"frames", frames}, {"notes", res->notes}};
      if (!preview->empty()) j["preview"] = *preview;
      std::cout << j.dump(2) << std::endl;
    } else {
      std::cout << *out << std::endl;
    }
    return int(kExitOk);
  });
}

void addInterpolate(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  auto* sub = app.add_subcommand(
      "interpolate",
      "Frames between two images (or two clips of the same length: every output step is then a clip; a video "
      "model inverts and decodes each clip jointly) through their DDIM-inverted noise. Methods: slerp = spherical mix of the fully "
      "inverted latents, decoded from T (keeps the noise's norm); noisediffusion = NoiseDiffusion (Zheng et al.): "
      "invert to 70% of the schedule, mix the clipped noisy latents and re-inject the clean latents "
      "(boost 1.2, clip ±2, --gamma fresh noise), decode from there; lerp = linear mix of the inverted latents "
      "(baseline: the middle frames lose variance and wash out)");
  auto a = std::make_shared<std::string>();
  auto b = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto method = std::make_shared<std::string>("slerp");
  auto fps = std::make_shared<double>(8.0);
  auto req = std::make_shared<InterpolateRequest>();
  sub->add_option("a", *a, "First image or clip (f = 0)")->required();
  sub->add_option("b", *b, "Second image or clip (f = 1; a clip of as many frames as the first)")->required();
  auto maxFrames = std::make_shared<int>(64);
  sub->add_option("--max-frames", *maxFrames, "Read at most this many frames of a video")->capture_default_str()
      ->check(CLI::Range(1, 512));
  auto windows = addContextWindowFlags(sub);
  sub->add_option("--frames", req->frames, "Frames including both ends")->capture_default_str()->check(CLI::Range(2, 512));
  sub->add_option("--method", *method, "slerp | noisediffusion | lerp")
      ->capture_default_str()->check(CLI::IsMember({"slerp", "noisediffusion", "lerp"}));
  sub->add_option("-p,--prompt", req->prompt, "Conditional prompt used to invert and decode (guidance 1)");
  sub->add_option("--steps", req->steps, "DDIM steps")->capture_default_str()->check(CLI::Range(1, 1000));
  sub->add_option("--gamma", req->gamma, "NoiseDiffusion fresh-noise share γ")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  sub->add_option("--seed", req->seed, "Seed of NoiseDiffusion's fresh noise")->capture_default_str();
  sub->add_option("--fps", *fps, "Frame rate of a video output")->capture_default_str();
  sub->add_option("-o,--output", *out, "Output .mp4/.avi/.mkv, or .png (name_0000.png ...)")->required();
  table.add(sub, [&g, a, b, out, method, fps, req, maxFrames, windows]() {
    for (const auto* p : {a.get(), b.get()})
      if (auto f = requireFile(*p); !f.ok()) return reportError(g, f.error());
    auto mediaA = media::loadMedia(*a, *maxFrames);
    if (!mediaA.ok()) return reportError(g, mediaA.error());
    auto mediaB = media::loadMedia(*b, *maxFrames);
    if (!mediaB.ok()) return reportError(g, mediaB.error());
    // Two stills: images; otherwise two clips (every step of the output is a clip of their length).
    const bool clips = mediaA->isVideo || mediaB->isVideo;
    req->imageA = clips ? mediaA->frames : mediaA->frames[0];
    req->imageB = clips ? mediaB->frames : mediaB->frames[0];
    windows->applyTo(req->context, req->fusion);
    req->method = *method == "lerp"             ? InterpolationMethod::Lerp
                  : *method == "noisediffusion" ? InterpolationMethod::NoiseDiffusion
                                                : InterpolationMethod::Slerp;
    auto model = loadModelFor(g);
    if (!model.ok()) return reportError(g, model.error());
    currentJob().setProgressCallback(stderrProgress(g));
    auto res = interpolateImages(*model, *req, currentJob());
    if (!res.ok()) return reportError(g, res.error());
    for (const auto& n : res->notes) std::cerr << "note: " << n << "\n";
    const nlohmann::json recipe{{"verb", "interpolate"}, {"a", *a},         {"b", *b},          {"method", *method},
                                {"prompt", req->prompt},   {"steps", req->steps}, {"gamma", req->gamma},
                                {"seed", req->seed},       {"frames", req->frames}, {"model", model->denoiser->info().id},
                                {"clip_frames", res->clipFrames}};
    auto written = writeFrames(*out, res->frames, *fps, media::recipeMetadata(recipe.dump()));
    if (!written.ok()) return reportError(g, written.error());
    if (g.json) {
      nlohmann::json j{{"ok", true},           {"output", *out},          {"frames", res->frames.size(0)},
                       {"clip_frames", res->clipFrames},
                       {"method", *method},    {"fractions", res->fractions}, {"latent_std", res->latentStd},
                       {"start_timestep", res->startTimestep}, {"notes", res->notes}};
      std::cout << j.dump(2) << std::endl;
    } else {
      std::cout << *written << std::endl;
    }
    return int(kExitOk);
  });
}

void addSearch(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  auto* sub = app.add_subcommand(
      "search",
      "Search starting noises for one the model's verifier scores best for the prompt (random = best of N; "
      "zero-order = pivot + neighbours at cosine λ); writes the best image");
  auto out = std::make_shared<std::string>();
  auto method = std::make_shared<std::string>("random");
  auto req = std::make_shared<SearchNoiseRequest>();
  sub->add_option("-p,--prompt", req->prompt, "What the image should show")->required();
  sub->add_option("--negative", req->negativePrompt, "Negative prompt");
  sub->add_option("--candidates", req->candidates, "random: number of noises")->capture_default_str()->check(CLI::Range(1, 4096));
  sub->add_option("--method", *method, "random | zero-order")->capture_default_str()->check(CLI::IsMember({"random", "zero-order"}));
  sub->add_option("--steps", req->steps, "DDIM steps per candidate")->capture_default_str()->check(CLI::Range(1, 1000));
  sub->add_option("--cfg", req->cfg, "Classifier-free guidance scale")->capture_default_str();
  sub->add_option("--iterations", req->iterations, "zero-order: rounds")->capture_default_str()->check(CLI::Range(1, 1000));
  sub->add_option("--neighbours", req->neighbours, "zero-order: neighbours per round")->capture_default_str()->check(CLI::Range(1, 256));
  sub->add_option("--lambda", req->lambda, "zero-order: cosine between pivot and neighbours")->capture_default_str();
  sub->add_option("--seed", req->seed, "Seed of the candidate noises")->capture_default_str();
  auto range = std::make_shared<std::string>();
  sub->add_option("--candidates-range", *range,
                  "random: score only candidates A..B-1 of the N (A:B), each exactly as the full search scores "
                  "it; -o gets the range's best (a farm task's share of one search)");
  sub->add_option("-o,--output", *out, "Output image (.png/.jpg)")->required();
  table.add(sub, [&g, out, method, req, range]() {
    req->method = *method == "zero-order" ? NoiseSearchMethod::ZeroOrder : NoiseSearchMethod::Random;
    if (!range->empty()) {
      std::smatch m;
      static const std::regex re("^([0-9]{1,5}):([0-9]{1,5})$");
      if (!std::regex_match(*range, m, re))
        return reportError(g, makeError(ErrorKind::BadInput, "--candidates-range must look like 0:4, got '" + *range + "'"));
      req->rangeBegin = std::stoi(m[1]);
      req->rangeEnd = std::stoi(m[2]);
    }
    auto model = loadModelFor(g);
    if (!model.ok()) return reportError(g, model.error());
    currentJob().setProgressCallback(stderrProgress(g));
    auto res = searchNoise(*model, *req, currentJob());
    if (!res.ok()) return reportError(g, res.error());
    for (const auto& n : res->notes) std::cerr << "note: " << n << "\n";
    // No --candidates-range here: a farm task's best and the full search's best are the same file.
    const nlohmann::json recipe{{"verb", "search"},         {"prompt", req->prompt},       {"negative_prompt", req->negativePrompt},
                                {"method", *method},        {"candidates", req->candidates}, {"steps", req->steps},
                                {"cfg", req->cfg},          {"seed", req->seed},           {"model", model->denoiser->info().id},
                                {"best_index", res->firstIndex + res->bestIndex}};
    auto written = writeFrames(*out, res->image, 8.0, media::recipeMetadata(recipe.dump()));
    if (!written.ok()) return reportError(g, written.error());
    if (g.json) {
      nlohmann::json j{{"ok", true},          {"output", *out},           {"method", *method},
                       {"verifier", res->verifier}, {"scores", res->scores},
                       {"best_index", res->firstIndex + res->bestIndex}, {"first_index", res->firstIndex},
                       {"best_score", res->bestScore}, {"first_score", res->firstScore}, {"notes", res->notes}};
      std::cout << j.dump(2) << std::endl;
    } else {
      std::cout << *written << "\nbest candidate " << res->bestIndex << " score " << res->bestScore
                << " (first candidate " << res->firstScore << ")" << std::endl;
    }
    return int(kExitOk);
  });
}

}  // namespace

void addNoiseCommands(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  addWarp(app, g, table);
  addInterpolate(app, g, table);
  addSearch(app, g, table);
}

}  // namespace ns::cli
