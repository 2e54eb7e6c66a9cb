// `noisestudio-cli generate`: text to image (or a clip of independently seeded frames).
#include <nlohmann/json.hpp>

#include <iostream>

#include "app/cli/commands.h"
#include "app/cli/model_loading.h"
#include "app/cli/output_files.h"
#include "core/engine/engine.h"
#include "core/model/safetensors.h"
#include "core/util/frame_tensors.h"

namespace ns::cli {

void addGenerateCommand(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  auto* sub = app.add_subcommand("generate", "Generate an image (or --frames N independently seeded frames) from a prompt");
  auto req = std::make_shared<GenerateRequest>();
  auto out = std::make_shared<std::string>();
  auto fps = std::make_shared<double>(8.0);
  auto noiseFile = std::make_shared<std::string>();
  auto sampler = std::make_shared<std::string>("ddim");
  sub->add_option("-p,--prompt", req->prompt, "What to paint, e.g. \"a red ball on grass\"")->required();
  sub->add_option("--negative", req->negativePrompt, "Negative prompt (the unconditional branch)");
  sub->add_option("--seed", req->seed, "Seed of the starting noise")->capture_default_str();
  sub->add_option("--steps", req->steps, "DDIM steps")->capture_default_str()->check(CLI::Range(1, 1000));
  sub->add_option("--cfg", req->cfg, "Classifier-free guidance scale")->capture_default_str();
  sub->add_option("--eta", req->eta, "DDIM eta (0 = deterministic)")->capture_default_str();
  sub->add_option("--size", req->size, "Square pixel size (0 = the model's own, 64 for the built-in model)");
  sub->add_option("--width", req->width, "Pixel width for other aspect ratios (with --height; multiples of the model's grid, 8 px on SD)");
  sub->add_option("--height", req->height, "Pixel height (with --width), e.g. --width 512 --height 768 for an SD portrait");
  sub->add_option("--frames", req->frames, "Frames; frame i uses seed+i")->capture_default_str()->check(CLI::Range(1, 512));
  sub->add_option("--fps", *fps, "Frame rate of a video output")->capture_default_str();
  sub->add_option("--noise", *noiseFile,
                  "Start from this x_T (safetensors with one tensor \"noise\" [C,h,w] or [N,C,h,w], scaled latent space) "
                  "instead of drawing it from --seed");
  sub->add_option("--sampler", *sampler, "ddim (with --eta; 0 = deterministic) or ddpm (ancestral: ddim with eta 1)")
      ->check(CLI::IsMember({"ddim", "ddpm"}))
      ->capture_default_str();
  sub->add_option("-o,--output", *out, "Output .png/.jpg (several frames: name_0000.png …) or .mp4/.avi/.mkv")->required();
  table.add(sub, [&g, req, out, fps, noiseFile, sampler]() {
    if (*sampler == "ddpm") req->eta = 1.0;
    if (!noiseFile->empty()) {
      auto f = readSafetensors(*noiseFile);
      if (!f.ok()) return reportError(g, f.error());
      auto it = f->tensors.find("noise");
      if (it == f->tensors.end())
        return reportError(g, makeError(ErrorKind::BadInput, *noiseFile + ": no tensor named \"noise\""));
      req->initialNoise = it->second;
      if (req->initialNoise.dim() == 4 && req->frames == 1) req->frames = int(req->initialNoise.size(0));
    }
    auto model = loadModelFor(g);
    if (!model.ok()) return reportError(g, model.error());
    currentJob().setProgressCallback(stderrProgress(g));
    auto res = generate(*model, *req, currentJob());
    if (!res.ok()) return reportError(g, res.error());
    for (const auto& n : res->notes) std::cerr << "note: " << n << "\n";
    nlohmann::json recipe{{"verb", "generate"}, {"prompt", req->prompt}, {"negative_prompt", req->negativePrompt},
                          {"model", model->denoiser->info().id}, {"sampler", *sampler}, {"eta", req->eta},
                          {"steps", req->steps}, {"cfg", req->cfg}, {"seed", req->seed}, {"frames", req->frames},
                          {"size", std::to_string(res->frames.width) + "x" + std::to_string(res->frames.height)},
                          {"noise", *noiseFile}};
    auto written = writeFrames(*out, framesToImages(res->frames), *fps, media::recipeMetadata(recipe.dump()));
    if (!written.ok()) return reportError(g, written.error());
    if (g.json) {
      nlohmann::json j{{"ok", true}, {"output", *out}, {"frames", res->frames.count}, {"seed", req->seed},
                       {"steps", req->steps}, {"cfg", req->cfg}, {"notes", res->notes}};
      std::cout << j.dump(2) << std::endl;
    } else {
      std::cout << *written << std::endl;
    }
    return int(kExitOk);
  });
}

}  // namespace ns::cli
