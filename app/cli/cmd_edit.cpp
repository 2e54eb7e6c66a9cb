// `noisestudio-cli edit`: re-render a .nsnoise file with a new prompt, shift, colour or mask.
#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "app/cli/commands.h"
#include "app/cli/context_window_flags.h"
#include "app/cli/model_loading.h"
#include "app/cli/output_files.h"
#include "core/engine/engine.h"
#include "core/media/image_io.h"
#include "core/media/mask_image.h"
#include "core/util/frame_tensors.h"

namespace ns::cli {

namespace {

// "a,b" / "a,b,c" -> numbers; false when the text is not that.
bool parseList(const std::string& s, std::vector<double>& out, size_t n) {
  out.clear();
  size_t pos = 0;
  while (pos <= s.size()) {
    const size_t comma = s.find(',', pos);
    const std::string part = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    try {
      size_t used = 0;
      out.push_back(std::stod(part, &used));
      if (used != part.size()) return false;
    } catch (const std::exception&) {
      return false;
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out.size() == n;
}

}  // namespace

void addEditCommand(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  auto* sub = app.add_subcommand(
      "edit",
      "Edit inverted noise (.nsnoise from `invert`): re-render it with a new prompt, skip and guidance,\n"
      "shift the content, add a colour, or limit the edit to a mask. With the source prompt, --cfg equal to\n"
      "the inversion's --cfg-src and --skip 0 it reproduces the (fitted) source. DDIM noise files are\n"
      "regenerated from x_T (skip is ignored; shift/colour/mask need edit-friendly noise).");
  auto req = std::make_shared<EditRequest>();
  auto noisePath = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto shift = std::make_shared<std::string>();
  auto colour = std::make_shared<std::string>();
  auto mask = std::make_shared<std::string>();
  auto fps = std::make_shared<double>(8.0);
  sub->add_option("noise", *noisePath, "Noise file written by `invert` (.nsnoise)")->required();
  sub->add_option("-p,--prompt", req->prompt, "Target prompt (default: the source prompt)");
  // With no edit asked for (no prompt, shift, colour or mask), skip and cfg default to the
  // inversion's own settings (0 and its --cfg-src): "edit without changes" gives back the source.
  CLI::Option* skipOpt =
      sub->add_option("--skip", req->skip,
                      "Noisiest steps to skip (0 = all; higher keeps more of the source; default 36 for an edit, "
                      "0 with no edit)");
  CLI::Option* cfgOpt =
      sub->add_option("--cfg", req->cfg, "Guidance scale of the target prompt (default 15 for an edit; with no edit, the "
                                         "inversion's --cfg-src)")
          ->check(CLI::Range(0.0, 50.0));
  sub->add_option("--shift", *shift, "Move the content by dx,dy latent pixels (x4 image pixels for the built-in model)");
  sub->add_option("--color,--colour", *colour, "Add an RGB colour offset r,g,b (each in [-1,1], pixel units)");
  sub->add_option("--mask", *mask, "Image whose white area limits the edit (resized to the latent size)");
  sub->add_option("--seed", req->seed, "Seed of fresh noise (borders exposed by --shift)")->capture_default_str();
  sub->add_option("--fps", *fps, "Frame rate of a video output")->capture_default_str();
  sub->add_option("-o,--output", *out, "Output .png/.jpg (several frames: name_0000.png ...) or .mp4/.avi/.mkv")
      ->required();
  auto windows = addContextWindowFlags(sub);
  table.add(sub, [&g, req, noisePath, out, shift, colour, mask, fps, skipOpt, cfgOpt, windows]() {
    windows->applyTo(req->context, req->fusion);
    std::vector<double> v;
    if (!shift->empty()) {
      if (!parseList(*shift, v, 2) || v[0] != double(int(v[0])) || v[1] != double(int(v[1])))
        return reportError(g, makeError(ErrorKind::BadInput, "--shift wants two whole numbers dx,dy, not '" + *shift + "'"));
      req->shiftX = int(v[0]);
      req->shiftY = int(v[1]);
    }
    if (!colour->empty()) {
      if (!parseList(*colour, v, 3))
        return reportError(g, makeError(ErrorKind::BadInput, "--color wants three numbers r,g,b, not '" + *colour + "'"));
      for (int c = 0; c < 3; ++c) req->colour[size_t(c)] = float(v[size_t(c)]);
    }
    if (!mask->empty()) {
      // 8-bit grey levels / 255 (white = edit, black = keep the source): the same conversion the
      // window applies to its painted mask (maskFramesToBuffer), so both give the same edit.
      auto m = media::readMaskImage(*mask);
      if (!m.ok()) return reportError(g, m.error());
      req->mask = maskFramesToBuffer(*m);
    }
    auto noise = loadNoiseFile(*noisePath);
    if (!noise.ok()) return reportError(g, noise.error());
    auto model = loadModelFor(g);
    if (!model.ok()) return reportError(g, model.error());
    const DenoiserInfo& info = model->denoiser->info();
    auto match = checkNoiseMatchesModel(*noisePath, *noise, info.id, info.schedule, info.channels, info.sampleSize);
    if (!match.ok()) return reportError(g, match.error());
    const bool editAsked = !req->prompt.empty() || !shift->empty() || !colour->empty() || !mask->empty();
    if (!editAsked) {
      if (skipOpt->count() == 0) req->skip = 0;
      if (cfgOpt->count() == 0) req->cfg = noise->cfgSource;
      if (skipOpt->count() == 0 && cfgOpt->count() == 0)
        std::cerr << "note: no edit asked (no --prompt, --shift, --color or --mask): re-rendering with the inversion's "
                     "own settings (skip 0, cfg "
                  << noise->cfgSource << "), which gives back the source\n";
    }
    req->noise = std::make_shared<const InvertedNoise>(std::move(*noise));
    currentJob().setProgressCallback(stderrProgress(g));
    auto res = edit(*model, *req, currentJob());
    if (!res.ok()) return reportError(g, res.error());
    for (const auto& n : res->notes) std::cerr << "note: " << n << "\n";
    // The edit recipe the result remembers: enough to rerun `edit` (result_metadata.h).
    const InvertedNoise& src = *req->noise;
    std::error_code ec;
    const std::string absNoise = std::filesystem::absolute(*noisePath, ec).string();
    nlohmann::json recipe{{"verb", "edit"},
                          {"noise", ec ? *noisePath : absNoise},
                          {"source_hash", src.sourceHash},
                          {"source_prompt", src.prompt},
                          {"prompt", req->prompt.empty() ? src.prompt : req->prompt},
                          {"model", info.id},
                          {"sampler", src.method == "ddim" ? "ddim" : "ddpm (edit-friendly)"},
                          {"steps", src.steps},
                          {"cfg_source", src.cfgSource},
                          {"cfg", req->cfg},
                          {"skip", req->skip},
                          {"seed", req->seed},
                          {"size", std::to_string(res->frames.width) + "x" + std::to_string(res->frames.height)},
                          {"edits",
                           {{"shift", {req->shiftX, req->shiftY}},
                            {"color", req->colour},
                            {"mask", mask->empty() ? "" : std::filesystem::absolute(*mask, ec).string()}}}};
    auto written = writeFrames(*out, framesToImages(res->frames), *fps, media::recipeMetadata(recipe.dump()));
    if (!written.ok()) return reportError(g, written.error());
    if (g.json) {
      nlohmann::json j{{"ok", true}, {"output", *out}, {"frames", res->frames.count},
                       {"prompt", req->prompt.empty() ? req->noise->prompt : req->prompt},
                       {"skip", req->skip}, {"cfg", req->cfg}, {"shift", {req->shiftX, req->shiftY}},
                       {"color", req->colour}, {"notes", res->notes}};
      std::cout << j.dump(2) << std::endl;
    } else {
      std::cout << *written << std::endl;
    }
    return int(kExitOk);
  });
}

}  // namespace ns::cli
