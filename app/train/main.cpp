// noisestudio-train: trains the built-in "shapes world" model (autoencoder -> UNet -> classifier)
// and exports it as a model folder for ns::loadBuiltinModel. See docs/training.md.
// main() only wires things together: options, logging, signals, the time budget, the stages.
#include <ATen/Context.h>
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <vector>

#include "app/train/autoencoder_stage.h"
#include "app/train/classifier_stage.h"
#include "app/train/dataset.h"
#include "app/train/export.h"
#include "app/train/motion_stage.h"
#include "app/train/progress.h"
#include "app/train/stage_env.h"
#include "app/train/unet_stage.h"
#include "core/util/log.h"
#include "core/util/torch_runtime.h"

namespace {

constexpr int kExitOk = 0, kExitUsage = 2, kExitTraining = 3, kExitInterrupted = 130;

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void onSignal(int) {
  // First signal: ask the loops to save and stop. Second: leave now (checkpoints are atomic).
  if (g_stop.exchange(true)) std::_Exit(kExitInterrupted);
}

std::string joinCommandLine(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.find_first_of(" \t\"'") != std::string::npos) a = "'" + a + "'";
    s += (i ? " " : "") + a;
  }
  return s;
}

// Shares of the run's time budget; a stage's deadline is its share of what is left when it
// starts, so time a stage did not use goes to the later ones.
double budgetShare(const std::string& stage) {
  if (stage == "autoencoder") return 0.15;
  if (stage == "unet") return 0.70;
  return 0.15;
}

int fail(const ns::Error& e) {
  spdlog::error("{}", e.message);
  std::fprintf(stderr, "noisestudio-train: %s\n", e.message.c_str());
  return e.kind == ns::ErrorKind::BadInput || e.kind == ns::ErrorKind::Io ? kExitUsage : kExitTraining;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ns::train;
  TrainOptions o;
  bool verbose = false;
  int batch = 0, batchAe = 0, batchCls = 0;
  std::optional<std::string> work;
  std::string device = "cpu";
  double lr = 0;

  CLI::App app{"Trains NoiseStudio's built-in shapes model (autoencoder, UNet, classifier) and exports it"};
  app.set_version_flag("--version", std::string("noisestudio-train ") + NS_VERSION);
  app.add_option("--stage", o.stage,
                 "autoencoder | unet | classifier | all (those three in order) | motion (motion modules on the "
                 "image model in --out: the built-in video model)")
      ->check(CLI::IsMember({"autoencoder", "unet", "classifier", "all", "motion"}))
      ->capture_default_str();
  app.add_option("--out", o.outDir, "Model folder to export into")->capture_default_str();
  app.add_option("--work", work, "Checkpoint folder (default: <out>/../.train-work)");
  app.add_option("--device", device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  app.add_option("--seed", o.seed, "Seed of every random draw")->capture_default_str();
  app.add_option("--steps-ae", o.stepsAe, "Autoencoder steps")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--steps-unet", o.stepsUnet, "UNet steps")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--steps-cls", o.stepsCls, "Classifier steps")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--batch", batch, "UNet batch (default: 256 on cuda, 16 on cpu); also sets the others unless given")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch-ae", batchAe, "Autoencoder batch (default: half of --batch)")->check(CLI::PositiveNumber);
  app.add_option("--batch-cls", batchCls, "Classifier batch (default: --batch)")->check(CLI::PositiveNumber);
  app.add_option("--lr", lr, "UNet peak learning rate (default 5e-4; warm-up then cosine decay)")
      ->check(CLI::PositiveNumber);
  app.add_option("--lr-ae", o.lrAe, "Autoencoder peak learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr-cls", o.lrCls, "Classifier peak learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--time-budget-min", o.timeBudgetMin,
                 "Minutes for the whole run (0 = none); a stage out of time saves, exports and moves on")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--dataset", o.dataset, "Scenes generated in memory for the autoencoder and UNet")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--dataset-cls", o.clsDataset, "Single-object scenes for the classifier (default: dataset/2)")
      ->check(CLI::PositiveNumber);
  app.add_option("--held-out", o.clsHeldOut, "Held-out single-object scenes for the classifier accuracy")
      ->check(CLI::PositiveNumber);
  app.add_option("--threads", o.threads, "CPU threads (default: all)")->check(CLI::NonNegativeNumber);
  app.add_flag("--resume", o.resume, "Continue each stage from its checkpoint in the work folder");
  app.add_option("--checkpoint-min", o.checkpointMin, "Minutes between checkpoints")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--progress-s", o.progressS, "Seconds between progress lines")->check(CLI::PositiveNumber)
      ->capture_default_str();
  int batchMotion = 0;
  app.add_option("--steps-motion", o.stepsMotion, "Motion-module steps")->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--batch-motion", batchMotion, "Clips per motion step (default: 16 on cuda, 2 on cpu)")
      ->check(CLI::PositiveNumber);
  app.add_option("--frames-min", o.framesMin, "Fewest frames of a training clip (motion stage)")
      ->check(CLI::Range(1, 32))->capture_default_str();
  app.add_option("--frames-max", o.framesMax, "Most frames of a training clip (motion stage)")
      ->check(CLI::Range(1, 32))->capture_default_str();
  app.add_option("--lr-motion", o.lrMotion, "Motion-module peak learning rate")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--motion-heads", o.motionHeads, "Attention heads of the temporal attention (divides 48 and 96)")
      ->check(CLI::IsMember({1, 2, 3, 4, 6, 8, 12, 16, 24, 48}))->capture_default_str();
  app.add_option("--held-out-clips", o.motionHeldOut, "Held-out clips scored at the start and end (motion stage)")
      ->check(CLI::Range(1, 1024))->capture_default_str();
  app.add_option("--steps-this-run", o.stepsThisRun,
                 "Stop after this many steps (checkpoint and export as when the budget runs out); --resume goes on")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--checkpoint-steps", o.checkpointSteps, "Also checkpoint every N steps (motion stage)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("-v,--verbose", verbose, "Log details on stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  ns::initLogging("noisestudio-train", verbose);
  o.commandLine = joinCommandLine(argc, argv);
  const ns::RuntimeInfo rt = ns::initTorchRuntime(o.threads);
  if (device == "cuda" && !rt.cudaAvailable)
    return fail(ns::makeError(ns::ErrorKind::BadInput,
                              "--device cuda: this LibTorch (" + rt.torchVersion +
                                  ") sees no CUDA device; build against a CUDA LibTorch or use --device cpu"));
  o.device = device;
  if (device == "cuda") {
    // TF32 matmuls/convolutions: ~free accuracy-wise for this model, several times faster.
    at::globalContext().setAllowTF32CuBLAS(true);
    at::globalContext().setAllowTF32CuDNN(true);
    at::globalContext().setBenchmarkCuDNN(true);
  }
  const bool gpu = device == "cuda";
  // The CPU is the slow path (smoke runs, tests): small batches keep a step at a second or two.
  o.batchUnet = batch > 0 ? batch : (gpu ? 256 : 16);
  o.batchAe = batchAe > 0 ? batchAe : std::max(1, o.batchUnet / 2);
  o.batchCls = batchCls > 0 ? batchCls : o.batchUnet;
  if (lr > 0) o.lrUnet = lr;
  o.batchMotion = batchMotion > 0 ? batchMotion : (gpu ? 16 : 2);
  if (o.framesMax < o.framesMin)
    return fail(ns::makeError(ns::ErrorKind::BadInput, "--frames-max must be at least --frames-min"));

  namespace fs = std::filesystem;
  o.workDir = work ? *work : (fs::path(o.outDir).lexically_normal().parent_path() / ".train-work").string();
  if (o.workDir.empty()) o.workDir = ".train-work";
  std::error_code ec;
  fs::create_directories(o.workDir, ec);
  if (ec)
    return fail(ns::makeError(ns::ErrorKind::Io, "cannot create work folder " + o.workDir + ": " + ec.message()));

  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);

  std::vector<std::string> stages;
  if (o.stage == "all")
    stages = {"autoencoder", "unet", "classifier"};
  else
    stages = {o.stage};
  spdlog::info("{}", o.commandLine);
  std::fprintf(stderr, "noisestudio-train: stages %s on %s (%d threads), out %s, work %s, seed %llu\n",
               o.stage.c_str(), device.c_str(), rt.threads, o.outDir.c_str(), o.workDir.c_str(),
               (unsigned long long)o.seed);

  const auto runStart = Clock::now();
  const bool budget = o.timeBudgetMin > 0;
  const auto runDeadline = budget ? runStart + std::chrono::microseconds(int64_t(o.timeBudgetMin * 60e6))
                                  : Clock::time_point::max();

  std::optional<SceneDataset> scenes;
  const bool needScenes = o.stage != "classifier" && o.stage != "motion";
  if (needScenes) {
    SceneDatasetOptions dopt;
    dopt.count = o.dataset;
    dopt.seed = o.seed;
    dopt.stream = SeedStream::UnetScenes;
    dopt.mix = SceneMix::HalfSingle;
    dopt.threads = o.threads;
    std::fprintf(stderr, "noisestudio-train: generating %d scenes...\n", o.dataset);
    auto r = generateSceneDataset(dopt, &g_stop);
    if (!r) {
      if (r.error().kind == ns::ErrorKind::Cancelled) return kExitInterrupted;
      return fail(r.error());
    }
    scenes = std::move(*r);
    std::fprintf(stderr, "noisestudio-train: %lld scenes in %.1f s (%.0f scenes/s)\n", (long long)scenes->size(),
                 scenes->secondsToGenerate, double(scenes->size()) / std::max(1e-9, scenes->secondsToGenerate));
  }

  bool exported = false;
  for (size_t i = 0; i < stages.size(); ++i) {
    const std::string& stage = stages[i];
    StageEnv env;
    env.options = &o;
    env.stopRequested = &g_stop;
    env.start = Clock::now();
    if (budget) {
      double shareLeft = 0;
      for (size_t k = i; k < stages.size(); ++k) shareLeft += budgetShare(stages[k]);
      const auto left = std::max(Clock::duration::zero(), runDeadline - env.start);
      env.deadline = env.start + std::chrono::duration_cast<Clock::duration>(left * (budgetShare(stage) / shareLeft));
      spdlog::info("{}: time share {}", stage, formatDuration(std::chrono::duration<double>(env.deadline - env.start).count()));
    }
    ns::Result<StageOutcome> r = StageOutcome::Invalid;
    try {
      if (stage == "autoencoder")
        r = runAutoencoderStage(env, *scenes);
      else if (stage == "unet")
        r = runUnetStage(env, *scenes);
      else if (stage == "motion")
        r = runMotionStage(env);
      else
        r = runClassifierStage(env);
    } catch (const std::exception& e) {
      // LibTorch reports shape/device/memory problems as exceptions: end with the message.
      return fail(ns::makeError(ns::ErrorKind::Model, stage + " stage failed: " + e.what()));
    }
    if (!r) return fail(r.error());
    if (*r == StageOutcome::Interrupted) {
      std::fprintf(stderr, "noisestudio-train: interrupted; checkpoints are in %s (continue with --resume)\n",
                   o.workDir.c_str());
      return kExitInterrupted;
    }
    if (stage == "motion") {
      ns::Result<std::string> e = ns::makeError(ns::ErrorKind::Internal, "export did not run");
      try {
        e = exportMotion(o);
      } catch (const std::exception& ex) {
        e = ns::makeError(ns::ErrorKind::Model, std::string("motion export failed: ") + ex.what());
      }
      if (!e) return fail(e.error());
      exported = true;
      std::fprintf(stderr, "noisestudio-train: exported %s (and model.json's \"video\" section)\n", e->c_str());
    }
    if (stage == "unet" || stage == "classifier") {
      ns::Result<ExportSummary> e = ns::makeError(ns::ErrorKind::Internal, "export did not run");
      try {
        e = exportModel(o, secondsSince(runStart));
      } catch (const std::exception& ex) {
        e = ns::makeError(ns::ErrorKind::Model, std::string("export failed: ") + ex.what());
      }
      if (e) {
        exported = true;
        std::fprintf(stderr, "noisestudio-train: exported %s%s\n", e->modelJsonPath.c_str(),
                     e->wroteVerifier ? " (with verifier)" : " (no verifier yet)");
      } else if (stage == "unet" || e.error().kind != ns::ErrorKind::BadInput) {
        return fail(e.error());
      } else {
        std::fprintf(stderr, "noisestudio-train: classifier trained; %s\n", e.error().message.c_str());
      }
    }
  }
  std::fprintf(stderr, "noisestudio-train: finished in %s%s\n", formatDuration(secondsSince(runStart)).c_str(),
               exported ? "" : " (nothing exported: the UNet stage has not run yet)");
  return kExitOk;
}
