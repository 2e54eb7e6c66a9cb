// `noisestudio-cli generate`: text to image (or a clip of independently seeded frames).
#include <nlohmann/json.hpp>

#include <iostream>

#include "app/cli/commands.h"
#include "app/cli/model_loading.h"
#include "app/cli/output_files.h"
#include "core/engine/engine.h"
#include "core/engine/frame_convert.h"

namespace ns::cli {

void addGenerateCommand(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  auto* sub = app.add_subcommand("generate", "Generate an image (or --frames N independently seeded frames) from a prompt");
  auto req = std::make_shared<GenerateRequest>();
  auto out = std::make_shared<std::string>();
  auto fps = std::make_shared<double>(8.0);
  sub->add_option("-p,--prompt", req->prompt, "What to paint, e.g. \"a red ball on grass\"")->required();
  sub->add_option("--negative", req->negativePrompt, "Negative prompt (the unconditional branch)");
  sub->add_option("--seed", req->seed, "Seed of the starting noise")->capture_default_str();
  sub->add_option("--steps", req->steps, "DDIM steps")->capture_default_str()->check(CLI::Range(1, 1000));
  sub->add_option("--cfg", req->cfg, "Classifier-free guidance scale")->capture_default_str();
  sub->add_option("--eta", req->eta, "DDIM eta (0 = deterministic)")->capture_default_str();
  sub->add_option("--size", req->size, "Square pixel size (0 = the model's own, 64 for the built-in model)");
  sub->add_option("--frames", req->frames, "Frames; frame i uses seed+i")->capture_default_str()->check(CLI::Range(1, 512));
  sub->add_option("--fps", *fps, "Frame rate of a video output")->capture_default_str();
  sub->add_option("-o,--output", *out, "Output .png/.jpg (several frames: name_0000.png …) or .mp4/.avi/.mkv")->required();
  table.add(sub, [&g, req, out, fps]() {
    auto model = loadModelFor(g);
    if (!model.ok()) return reportError(g, model.error());
    currentJob().setProgressCallback(stderrProgress(g));
    auto res = generate(*model, *req, currentJob());
    if (!res.ok()) return reportError(g, res.error());
    for (const auto& n : res->notes) std::cerr << "note: " << n << "\n";
    auto written = writeFrames(*out, framesToImages(res->frames), *fps);
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
