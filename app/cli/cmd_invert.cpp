// `noisestudio-cli invert`: a real image or clip -> edit-friendly noise (.nsnoise).
#include <nlohmann/json.hpp>

#include <iostream>

#include "app/cli/commands.h"
#include "app/cli/context_window_flags.h"
#include "app/cli/model_loading.h"
#include "core/engine/engine.h"
#include "core/media/media_file.h"
#include "core/util/frame_tensors.h"

namespace ns::cli {

void addInvertCommand(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  auto* sub = app.add_subcommand(
      "invert",
      "Invert an image or video into edit-friendly noise (x_T plus one z map per step) saved as .nsnoise.\n"
      "The input is fitted to the model's size: scaled to COVER the square (aspect kept, area filter when\n"
      "shrinking, bilinear when enlarging), then centre-cropped (64x64 for the built-in model).\n"
      "A video's frames are inverted together (each frame keeps its own noise maps).");
  auto req = std::make_shared<InvertRequest>();
  auto input = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto method = std::make_shared<std::string>("edit-friendly");
  auto maxFrames = std::make_shared<int>(64);
  sub->add_option("input", *input, "Image (PNG/JPEG/...) or video (MP4/AVI/MKV...) to invert")->required();
  sub->add_option("-p,--prompt", req->prompt, "Prompt describing the source (\"\" = unconditional)")->required();
  sub->add_option("--steps", req->steps, "Inversion steps T")->capture_default_str()->check(CLI::Range(1, 1000));
  sub->add_option("--cfg-src", req->cfgSource, "Guidance scale of the source prompt")->capture_default_str()
      ->check(CLI::Range(0.0, 50.0));
  sub->add_option("--eta", req->eta, "Noise scale eta in (0,1]; 0 runs DDIM inversion instead")->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--method", *method, "edit-friendly (exact reconstruction, editable) or ddim (x_T only, baseline)")
      ->capture_default_str()->check(CLI::IsMember({"edit-friendly", "ddim"}));
  sub->add_option("--seed", req->seed, "Seed of the auxiliary noise path")->capture_default_str();
  sub->add_option("--max-frames", *maxFrames, "Read at most this many video frames")->capture_default_str()
      ->check(CLI::Range(1, 512));
  sub->add_option("-o,--output", *out, "Output noise file (.nsnoise)")->required();
  auto windows = addContextWindowFlags(sub);
  table.add(sub, [&g, req, input, out, method, maxFrames, windows]() {
    windows->applyTo(req->context, req->fusion);
    auto media = media::loadMedia(*input, *maxFrames);
    if (!media.ok()) return reportError(g, media.error());
    auto model = loadModelFor(g);
    if (!model.ok()) return reportError(g, model.error());
    req->source = imagesToFrames(media->frames);
    req->method = *method == "ddim" ? InversionMethod::Ddim : InversionMethod::EditFriendly;
    currentJob().setProgressCallback(stderrProgress(g));
    auto res = invert(*model, *req, currentJob());
    if (!res.ok()) return reportError(g, res.error());
    for (const auto& n : res->notes) std::cerr << "note: " << n << "\n";
    auto saved = saveNoiseFile(*out, *res->noise);
    if (!saved.ok()) return reportError(g, saved.error());
    const InvertedNoise& n = *res->noise;
    if (g.json) {
      nlohmann::json j{{"ok", true},          {"output", *out},           {"method", n.method},
                       {"model_id", n.modelId}, {"frames", n.frames()},     {"steps", n.steps},
                       {"cfg_source", n.cfgSource}, {"eta", n.eta},         {"seed", req->seed},
                       {"source_hash", n.sourceHash}, {"size", res->fittedSource.width}, {"notes", res->notes}};
      std::cout << j.dump(2) << std::endl;
    } else {
      std::cout << *out << std::endl;
    }
    return int(kExitOk);
  });
}

}  // namespace ns::cli
