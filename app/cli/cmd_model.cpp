// `noisestudio-cli model info|eval`: what a model is, and how well the built-in model meets its bar.
#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>

#include "app/cli/commands.h"
#include "app/cli/model_loading.h"
#include "app/cli/sd_model_cli.h"
#include "core/engine/model_eval.h"
#include "core/media/image_io.h"

namespace ns::cli {

namespace {
// [N,3,H,W] -> one image with `cols` columns (gaps of 2 px).
at::Tensor tile(const at::Tensor& imgs, int cols) {
  const int64_t n = imgs.size(0), h = imgs.size(2), w = imgs.size(3), gap = 2;
  const int64_t rows = (n + cols - 1) / cols;
  at::Tensor grid = at::ones({3, rows * (h + gap) - gap, cols * (w + gap) - gap});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = i / cols, c = i % cols;
    grid.slice(1, r * (h + gap), r * (h + gap) + h).slice(2, c * (w + gap), c * (w + gap) + w).copy_(imgs[i]);
  }
  return grid;
}

int runInfo(const GlobalOptions& g, const std::string& pack) {
  GlobalOptions g2 = g;
  if (!pack.empty()) g2.model = pack;
  if (sd::isSdModelPath(g2.model)) return runSdModelInfo(g2, g2.model);
  auto model = loadModelFor(g2);
  if (!model.ok()) return reportError(g, model.error());
  const DenoiserInfo& info = model->denoiser->info();
  nlohmann::json j{{"ok", true},
                   {"id", info.id},
                   {"folder", model->sourcePath},
                   {"prediction", toString(info.prediction)},
                   {"schedule", toString(info.schedule.beta)},
                   {"train_steps", info.schedule.trainSteps},
                   {"channels", info.channels},
                   {"sample_size", info.sampleSize},
                   {"pixel_size", model->pixelSize()},
                   {"video", info.isVideo},
                   {"codec", model->codec->name()},
                   {"verifier", model->verifier != nullptr},
                   {"device", model->device}};
  if (g.json) std::cout << j.dump(2) << std::endl;
  else
    for (auto& [k, v] : j.items())
      if (k != "ok") std::cout << k << ": " << v.dump() << "\n";
  return kExitOk;
}
}  // namespace

void addModelCommand(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  auto* model = app.add_subcommand("model", "Inspect or evaluate a model");
  model->require_subcommand(1);

  auto* info = model->add_subcommand(
      "info", "Describe a model: the built-in one, a pack folder, or a Stable Diffusion file or diffusers folder");
  auto pack = std::make_shared<std::string>();
  info->add_option("pack", *pack, "Model file or folder (default: --model or the built-in model)");
  table.add(info, [&g, pack]() { return runInfo(g, *pack); });

  addModelRunCommand(*model, g, table);

  auto* eval = model->add_subcommand("eval", "Generate from held-out single-object captions and score them with the verifier");
  auto req = std::make_shared<ModelEvalRequest>();
  auto grid = std::make_shared<std::string>();
  eval->add_option("--samples", req->samples, "Number of generated samples")->capture_default_str();
  eval->add_option("--steps", req->steps, "DDIM steps")->capture_default_str();
  eval->add_option("--cfg", req->cfg, "Guidance scale")->capture_default_str();
  eval->add_option("--seed", req->seed, "First noise seed")->capture_default_str();
  eval->add_option("--batch", req->batch, "Samples per batch")->capture_default_str();
  eval->add_option("--grid", *grid, "Write a PNG grid of the first 32 samples here");
  table.add(eval, [&g, req, grid]() {
    auto m = loadModelFor(g);
    if (!m.ok()) return reportError(g, m.error());
    currentJob().setProgressCallback(stderrProgress(g));
    auto r = evaluateModel(*m, *req, currentJob());
    if (!r.ok()) return reportError(g, r.error());
    if (!grid->empty()) {
      const nlohmann::json recipe{{"verb", "model eval"}, {"model", m->denoiser->info().id}, {"samples", req->samples},
                                  {"steps", req->steps},      {"cfg", req->cfg},                 {"seed", req->seed}};
      auto w = media::writeImage(*grid, tile(r->grid, 8), media::recipeMetadata(recipe.dump()));
      if (!w.ok()) return reportError(g, w.error());
    }
    nlohmann::json j{{"ok", true},
                     {"model", m->denoiser->info().id},
                     {"samples", r->samples},
                     {"steps", req->steps},
                     {"cfg", req->cfg},
                     {"colour_accuracy", r->colourAccuracy},
                     {"shape_accuracy", r->shapeAccuracy},
                     {"colour_and_shape_accuracy", r->bothAccuracy},
                     {"verifier_clean_colour_accuracy", r->verifierCleanColourAccuracy},
                     {"verifier_clean_shape_accuracy", r->verifierCleanShapeAccuracy},
                     {"frechet_distance", r->frechet},
                     {"frechet_distance_clean_halves", r->frechetCleanSplit},
                     {"seconds", r->seconds},
                     {"grid_captions", r->captions}};
    if (g.json) {
      std::cout << j.dump(2) << std::endl;
    } else {
      std::cout << "colour accuracy " << r->colourAccuracy << ", shape accuracy " << r->shapeAccuracy
                << ", Fréchet distance " << r->frechet << " (clean halves " << r->frechetCleanSplit << "), "
                << r->samples << " samples in " << r->seconds << " s" << std::endl;
    }
    return int(kExitOk);
  });
}

}  // namespace ns::cli
