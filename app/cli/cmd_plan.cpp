// `noisestudio-cli sketch | render | demo`: the planning workflow without the GUI.
//   sketch P.nsproj -o out     the video sketch (no model, unless the plan has "generate" parts)
//   render P.nsproj -o out     sketch -> recipe noise -> structured init -> frames (renderProject)
//   demo [-o DIR]              renders every example project, plus a contact sheet
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "app/cli/commands.h"
#include "app/cli/context_window_flags.h"
#include "app/cli/model_loading.h"
#include "app/cli/output_files.h"
#include "core/engine/engine.h"
#include "core/media/image_header.h"
#include "core/media/image_io.h"
#include "core/media/project_inputs.h"
#include "core/media/video_io.h"
#include "core/util/frame_tensors.h"

namespace fs = std::filesystem;

namespace ns::cli {

namespace {

Result<Project> openProject(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return makeError(ErrorKind::BadInput, path + ": file not found");
  auto p = Project::open(path);
  if (!p.ok()) {
    Error e = p.error();
    // Every message names the project file, whatever part of the loader produced it.
    if (e.message.find(path) == std::string::npos) e.message = path + ": " + e.message;
    if (e.kind == ErrorKind::Internal || e.kind == ErrorKind::None) e.kind = ErrorKind::BadInput;
    return e;
  }
  return p;
}

// The sketch needs no model unless the plan has parts the model paints ("generate" background or
// objects): those are planned (or read from the project's plan cache) first.
Result<Sketch> sketchOf(const GlobalOptions& g, const Project& p) {
  auto inputs = media::loadProjectInputs(p);
  if (!inputs.ok()) return inputs.error();
  if (needsModelPlanning(p, *inputs)) {
    auto model = loadModelFor(g);
    if (!model.ok()) return model.error();
    ModelPlanOptions planning;
    planning.cacheDir = defaultPlanCacheDir(p);
    currentJob().setProgressCallback(stderrProgress(g));
    auto plan = planWithModel(*model, p, *inputs, planning, currentJob());
    if (!plan.ok()) return plan.error();
  }
  return renderProjectSketch(p, *inputs);
}

struct Rendered {
  at::Tensor frames, sketch;  // [F,3,H,W] in [-1,1]
  std::vector<std::string> notes;
};

Result<Rendered> renderOne(ModelBundle& model, const Project& p, double ratio, int steps) {
  auto inputs = media::loadProjectInputs(p);
  if (!inputs.ok()) return inputs.error();
  RenderProjectRequest req;
  req.project = p;
  req.inputs = *inputs;
  req.ratioOverride = ratio;
  req.stepsOverride = steps;
  auto res = renderProject(model, req, currentJob());
  if (!res.ok()) return res.error();
  Rendered r;
  r.frames = res->framesTensor;
  r.sketch = framesToImages(res->sketch);
  r.notes = res->notes;
  return r;
}

// "A:B" -> [A, B) inside 0..frames; the error names the option.
Result<std::pair<int, int>> parseFrameRange(const std::string& text, int frames) {
  const auto colon = text.find(':');
  int a = -1, b = -1;
  try {
    size_t used = 0;
    if (colon == std::string::npos) throw std::invalid_argument("no colon");
    a = std::stoi(text.substr(0, colon), &used);
    if (used != colon) throw std::invalid_argument("trailing");
    b = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    return makeError(ErrorKind::BadInput, "--frames '" + text + "': expected A:B (frames A to B-1), e.g. 0:8");
  }
  if (a < 0 || a >= b || b > frames)
    return makeError(ErrorKind::BadInput, "--frames " + text + ": not a range inside the project's " +
                                              std::to_string(frames) + " frames (0:" + std::to_string(frames) + ")");
  return std::make_pair(a, b);
}

// The file `render -o dir/name.png` writes for frame f of a clip: dir/name_0007.png.
std::string frameFileName(const std::string& pattern, int f) {
  const fs::path p(pattern);
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "_%04d", f);
  return ((p.parent_path().empty() ? fs::path(".") : p.parent_path()) / (p.stem().string() + suffix + p.extension().string()))
      .string();
}

// A frame file counts as complete when it is there and its header decodes: frames are written to a
// temp name and renamed, so a killed render leaves only `…png.tmp`, never a short frame.
bool frameComplete(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && media::probeImageFile(path).ok();
}

// Where the example projects are: NS_SOURCE_DIR/examples in a build tree, else
// <exe>/../share/noisestudio/examples in an installed tree.
std::string findExamplesDir() {
  std::vector<fs::path> candidates;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share" / "noisestudio" / "examples");
#ifdef NS_SOURCE_DIR
  candidates.push_back(fs::path(NS_SOURCE_DIR) / "examples");
#endif
  for (const auto& c : candidates)
    if (fs::is_directory(c, ec)) return c.string();
  return {};
}

// What a render's files remember (result_metadata.h): the project as rendered, with the
// command line's --ratio / --steps overrides written into it so reopening it renders the same.
media::ResultMetadata renderMetadata(Project p, double ratio, int steps) {
  if (ratio >= 0) p.render.noiseRatio = ratio;
  if (steps > 0) p.render.steps = steps;
  return media::projectMetadata(p);
}

// Rows of `cols` frames picked evenly from each clip, 2 px gaps: one picture of the whole demo.
at::Tensor contactSheet(const std::vector<at::Tensor>& clips, int cols) {
  const int64_t h = clips.front().size(2), w = clips.front().size(3), gap = 2;
  const int64_t rows = int64_t(clips.size());
  at::Tensor sheet = at::ones({3, rows * (h + gap) - gap, cols * (w + gap) - gap});
  for (int64_t r = 0; r < rows; ++r) {
    const at::Tensor& c = clips[size_t(r)];
    for (int64_t k = 0; k < cols; ++k) {
      const int64_t f = cols == 1 ? 0 : k * (c.size(0) - 1) / (cols - 1);
      at::Tensor frame = c[f];
      if (frame.size(1) != h || frame.size(2) != w)
        frame = at::upsample_bilinear2d(frame.unsqueeze(0), {h, w}, false).squeeze(0);
      sheet.slice(1, r * (h + gap), r * (h + gap) + h).slice(2, k * (w + gap), k * (w + gap) + w).copy_(frame);
    }
  }
  return sheet;
}

// NS_THREADS=N: LibTorch threads for render (a farm task's CPUs: the chunk script sets it from
// SLURM_CPUS_PER_TASK; LibTorch would otherwise start one thread per core of the whole node). The
// thread count is part of what makes pixels reproducible: CPU kernels split their sums by thread,
// so 1 and 2 threads differ in the last bits (docs/farm.md). Same count, same pixels.
void applyThreadsFromEnv() {
  if (const char* t = std::getenv("NS_THREADS"); t && std::atoi(t) > 0) at::set_num_threads(std::atoi(t));
}

// `render P --frames A:B -o dir/frame.png`: one farm chunk. Frames already complete are skipped
// (a requeued task redoes only what is missing); the rest are rendered as one range and each is
// written (atomically) the moment it is done.
int renderFrameRange(const GlobalOptions& g, const Project& p, const std::string& rangeText, const std::string& out,
                     double ratio, int steps) {
  auto range = parseFrameRange(rangeText, p.frames);
  if (!range.ok()) return reportError(g, range.error());
  if (media::isVideoPath(out) || fs::path(out).extension().empty())
    return reportError(g, makeError(ErrorKind::BadInput, "-o " + out + ": --frames writes one image per frame; give a "
                                                                       "name like dir/frame.png (frame_0000.png …)"));
  std::vector<int> missing;
  for (int f = range->first; f < range->second; ++f)
    if (!frameComplete(frameFileName(out, f))) missing.push_back(f);
  const int skipped = (range->second - range->first) - int(missing.size());
  std::vector<std::string> written;
  if (!missing.empty()) {
    if (const fs::path parent = fs::path(out).parent_path(); !parent.empty()) {
      std::error_code ec;
      fs::create_directories(parent, ec);
      if (ec) return reportError(g, makeError(ErrorKind::Io, parent.string() + ": cannot create the output folder: " + ec.message()));
    }
    auto model = loadModelFor(g);
    if (!model.ok()) return reportError(g, model.error());
    applyThreadsFromEnv();
    auto inputs = media::loadProjectInputs(p);
    if (!inputs.ok()) return reportError(g, inputs.error());
    currentJob().setProgressCallback(isatty(STDERR_FILENO) ? stderrProgress(g) : lineProgress());
    RenderProjectRequest req;
    req.project = p;
    req.inputs = *inputs;
    req.ratioOverride = ratio;
    req.stepsOverride = steps;
    req.frameBegin = missing.front();
    req.frameEnd = missing.back() + 1;
    req.onFrame = [&](int f, const at::Tensor& image) -> Result<void> {
      if (!std::binary_search(missing.begin(), missing.end(), f)) return {};  // complete already
      const std::string path = frameFileName(out, f);
      media::ResultMetadata meta = renderMetadata(p, ratio, steps);
      meta.frame = f;
      if (auto w = media::writeImage(path, image, meta); !w.ok()) return w.error();
      written.push_back(path);
      std::fprintf(stderr, "frame %d written: %s\n", f, path.c_str());
      return {};
    };
    auto res = renderProject(*model, req, currentJob());
    if (!res.ok()) return reportError(g, res.error());
    for (const auto& n : res->notes) std::cerr << "note: " << n << "\n";
  }
  if (g.json) {
    std::cout << nlohmann::json{{"ok", true}, {"frames", {range->first, range->second}}, {"written", written},
                                {"skipped", skipped}}.dump(2) << std::endl;
  } else {
    for (const auto& w : written) std::cout << w << "\n";
    if (skipped > 0) std::cout << skipped << " frame(s) of " << rangeText << " already complete, skipped\n";
    std::cout << std::flush;
  }
  return int(kExitOk);
}

}  // namespace

void addPlanCommands(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  // ---- sketch ----
  auto* sk = app.add_subcommand("sketch", "Draw a project's video sketch (the model runs only for \"generate\" backgrounds/objects)");
  auto skProject = std::make_shared<std::string>();
  auto skOut = std::make_shared<std::string>();
  sk->add_option("project", *skProject, "Project file (.nsproj)")->required();
  sk->add_option("-o,--output", *skOut, "Output .mp4/.avi/.mkv, or dir/frame.png for frame_0000.png …")->required();
  table.add(sk, [&g, skProject, skOut]() {
    auto p = openProject(*skProject);
    if (!p.ok()) return reportError(g, p.error());
    auto s = sketchOf(g, *p);
    if (!s.ok()) return reportError(g, s.error());
    auto written = writeFrames(*skOut, s->frames, p->fps, media::projectMetadata(*p));
    if (!written.ok()) return reportError(g, written.error());
    if (g.json)
      std::cout << nlohmann::json{{"ok", true}, {"output", *skOut}, {"frames", s->frames.size(0)},
                                  {"width", p->width}, {"height", p->height}}.dump(2) << std::endl;
    else
      std::cout << *written << std::endl;
    return int(kExitOk);
  });

  // ---- render ----
  auto* rd = app.add_subcommand("render", "Render a project: sketch -> structured noise -> frames");
  auto rdProject = std::make_shared<std::string>();
  auto rdOut = std::make_shared<std::string>();
  auto rdSketch = std::make_shared<std::string>();
  auto rdRatio = std::make_shared<double>(-1.0);
  auto rdSteps = std::make_shared<int>(0);
  rd->add_option("project", *rdProject, "Project file (.nsproj)")->required();
  rd->add_option("-o,--output", *rdOut, "Output .mp4/.avi/.mkv or .png (name_0000.png …)")->required();
  rd->add_option("--ratio", *rdRatio, "Noise ratio α in (0,1] (default: the project's; 1 = ignore the sketch)")
      ->check(CLI::Range(0.0, 1.0));
  rd->add_option("--steps", *rdSteps, "DDIM steps of the full schedule (default: the project's)")->check(CLI::Range(1, 1000));
  rd->add_option("--sketch-out", *rdSketch, "Also write the sketch here");
  auto rdFrames = std::make_shared<std::string>();
  rd->add_option("--frames", *rdFrames,
                 "Render only frames A..B-1 (A:B) into dir/name_NNNN.png, skipping frames already complete "
                 "(what a farm chunk runs; the pixels equal those of the full render)");
  auto rdWindows = addContextWindowFlags(rd);
  table.add(rd, [&g, rdProject, rdOut, rdSketch, rdRatio, rdSteps, rdFrames, rdWindows]() {
    auto p = openProject(*rdProject);
    if (!p.ok()) return reportError(g, p.error());
    // Flags override the project's render.context_windows (and are written into the result's metadata).
    rdWindows->applyTo(p->render.context, p->render.fusion);
    if (!rdFrames->empty()) return renderFrameRange(g, *p, *rdFrames, *rdOut, *rdRatio, *rdSteps);
    auto model = loadModelFor(g);
    if (!model.ok()) return reportError(g, model.error());
    applyThreadsFromEnv();
    currentJob().setProgressCallback(stderrProgress(g));
    auto r = renderOne(*model, *p, *rdRatio, *rdSteps);
    if (!r.ok()) return reportError(g, r.error());
    for (const auto& n : r->notes) std::cerr << "note: " << n << "\n";
    const media::ResultMetadata meta = renderMetadata(*p, *rdRatio, *rdSteps);
    auto written = writeFrames(*rdOut, r->frames, p->fps, meta);
    if (!written.ok()) return reportError(g, written.error());
    std::string sketchWritten;
    if (!rdSketch->empty()) {
      auto w = writeFrames(*rdSketch, r->sketch, p->fps, meta);
      if (!w.ok()) return reportError(g, w.error());
      sketchWritten = *w;
    }
    if (g.json) {
      nlohmann::json j{{"ok", true},
                       {"output", *rdOut},
                       {"frames", r->frames.size(0)},
                       {"ratio", *rdRatio >= 0 ? *rdRatio : p->render.noiseRatio},
                       {"steps", *rdSteps > 0 ? *rdSteps : p->render.steps},
                       {"prompt", fullPrompt(*p)},
                       {"notes", r->notes}};
      if (!rdSketch->empty()) j["sketch"] = *rdSketch;
      std::cout << j.dump(2) << std::endl;
    } else {
      std::cout << *written << std::endl;
      if (!sketchWritten.empty()) std::cout << sketchWritten << std::endl;
    }
    return int(kExitOk);
  });

  // ---- demo ----
  auto* dm = app.add_subcommand("demo", "Render every example project (video, sketch and a contact sheet)");
  auto dmOut = std::make_shared<std::string>("noisestudio-demo");
  auto dmExamples = std::make_shared<std::string>();
  auto dmSteps = std::make_shared<int>(8);
  dm->add_option("-o,--output", *dmOut, "Output folder")->capture_default_str();
  dm->add_option("--examples", *dmExamples, "Folder of .nsproj files (default: the installed examples)");
  dm->add_option("--steps", *dmSteps, "DDIM steps of the full schedule (few: fast on a CPU)")
      ->capture_default_str()->check(CLI::Range(1, 1000));
  table.add(dm, [&g, dmOut, dmExamples, dmSteps]() {
    const std::string dir = dmExamples->empty() ? findExamplesDir() : *dmExamples;
    std::error_code ec;
    if (dir.empty() || !fs::is_directory(dir, ec))
      return reportError(g, makeError(ErrorKind::BadInput, "no examples folder found (looked for share/noisestudio/examples "
                                                           "next to the program); pass --examples DIR"));
    std::vector<fs::path> projects;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".nsproj") projects.push_back(e.path());
    std::sort(projects.begin(), projects.end());
    if (projects.empty()) return reportError(g, makeError(ErrorKind::BadInput, dir + ": no .nsproj files"));
    fs::create_directories(*dmOut, ec);
    if (ec) return reportError(g, makeError(ErrorKind::Io, *dmOut + ": cannot create folder: " + ec.message()));
    auto model = loadModelFor(g);
    if (!model.ok()) return reportError(g, model.error());
    currentJob().setProgressCallback(stderrProgress(g));
    nlohmann::json items = nlohmann::json::array();
    std::vector<at::Tensor> rows;
    for (const auto& path : projects) {
      const auto t0 = std::chrono::steady_clock::now();
      auto p = openProject(path.string());
      if (!p.ok()) return reportError(g, p.error());
      auto r = renderOne(*model, *p, -1.0, *dmSteps);
      if (!r.ok()) return reportError(g, r.error());
      const std::string stem = path.stem().string();
      const std::string video = (fs::path(*dmOut) / (stem + ".mp4")).string();
      const std::string sketch = (fs::path(*dmOut) / (stem + "_sketch.mp4")).string();
      const media::ResultMetadata meta = renderMetadata(*p, -1.0, *dmSteps);
      if (auto w = writeFrames(video, r->frames, p->fps, meta); !w.ok()) return reportError(g, w.error());
      if (auto w = writeFrames(sketch, r->sketch, p->fps, meta); !w.ok()) return reportError(g, w.error());
      rows.push_back(r->sketch);
      rows.push_back(r->frames);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      items.push_back({{"project", path.string()}, {"video", video}, {"sketch", sketch}, {"seconds", secs}});
      if (!g.json) std::cout << video << "\n" << sketch << "  (" << fullPrompt(*p) << ", " << secs << " s)" << std::endl;
    }
    const std::string sheet = (fs::path(*dmOut) / "contact_sheet.png").string();
    if (auto w = media::writeImage(sheet, contactSheet(rows, 8)); !w.ok()) return reportError(g, w.error());
    if (g.json)
      std::cout << nlohmann::json{{"ok", true}, {"examples", items}, {"contact_sheet", sheet}, {"steps", *dmSteps}}.dump(2)
                << std::endl;
    else
      std::cout << sheet << "  (rows: sketch, render for each example)" << std::endl;
    return int(kExitOk);
  });
}

}  // namespace ns::cli
