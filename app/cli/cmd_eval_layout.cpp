// `noisestudio-cli eval layout`: how well renders follow planned boxes (core/engine/layout_eval.h).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "app/cli/commands.h"
#include "app/cli/model_loading.h"
#include "core/engine/layout_eval.h"

namespace ns::cli {

void addEvalLayoutCommand(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  auto* eval = app.add_subcommand("eval", "Evaluate the engine");
  eval->require_subcommand(1);
  auto* layout = eval->add_subcommand(
      "layout", "Mean IoU of objects (found by colour) to their planned boxes: plain generation vs structured init at each α");
  auto req = std::make_shared<LayoutEvalRequest>();
  auto ratios = std::make_shared<std::string>("0.5,0.6,0.7,0.8,0.9");
  layout->add_option("--layouts", req->layouts, "Random held-out layouts")->capture_default_str()->check(CLI::Range(1, 10000));
  layout->add_option("--frames", req->frames, "Frames per layout")->capture_default_str()->check(CLI::Range(2, 256));
  layout->add_option("--steps", req->steps, "DDIM steps of the full schedule")->capture_default_str()->check(CLI::Range(1, 1000));
  layout->add_option("--cfg", req->cfg, "Guidance scale")->capture_default_str();
  layout->add_option("--seed", req->seed, "Seed of the first layout")->capture_default_str();
  layout->add_option("--ratios", *ratios, "Comma-separated noise ratios α")->capture_default_str();
  layout->add_flag("--planned", req->modelPlanned,
                   "Also render each layout from the model-planned sketch (background and objects painted by the model)");
  table.add(layout, [&g, req, ratios]() {
    req->ratios.clear();
    std::stringstream ss(*ratios);
    for (std::string item; std::getline(ss, item, ',');) {
      try {
        req->ratios.push_back(std::stod(item));
      } catch (const std::exception&) {
        return reportError(g, makeError(ErrorKind::BadInput, "--ratios: \"" + item + "\" is not a number"));
      }
    }
    auto model = loadModelFor(g);
    if (!model.ok()) return reportError(g, model.error());
    currentJob().setProgressCallback(stderrProgress(g));
    auto rep = evaluateLayoutControl(*model, *req, currentJob());
    if (!rep.ok()) return reportError(g, rep.error());
    if (g.json) {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& r : rep->rows)
        rows.push_back({{"setting", r.setting}, {"ratio", r.ratio}, {"mean_iou", r.meanIou},
                        {"found", r.foundFraction}, {"samples", r.samples}, {"seconds", r.seconds},
                        {"background_accuracy", r.backgroundAccuracy}});
      std::cout << nlohmann::json{{"ok", true}, {"layouts", rep->layouts}, {"frames", rep->frames}, {"steps", rep->steps},
                                  {"seed", req->seed}, {"cfg", req->cfg}, {"seconds", rep->seconds},
                                  {"plan_seconds", rep->planSeconds}, {"rows", rows}}.dump(2)
                << std::endl;
    } else {
      std::printf("| setting | mean IoU | objects found | background accuracy | samples | seconds |\n|---|---|---|---|---|---|\n");
      for (const auto& r : rep->rows) {
        char bg[16] = "n/a";
        if (r.backgroundAccuracy >= 0) std::snprintf(bg, sizeof(bg), "%.3f", r.backgroundAccuracy);
        std::printf("| %s | %.3f | %.3f | %s | %d | %.1f |\n", r.setting.c_str(), r.meanIou, r.foundFraction, bg, r.samples,
                    r.seconds);
      }
      if (req->modelPlanned) std::printf("\nmodel planning: %.1f s\n", rep->planSeconds);
    }
    return int(kExitOk);
  });
}

}  // namespace ns::cli
