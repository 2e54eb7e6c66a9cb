#include "app/train/classifier_stage.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "app/train/checkpoint.h"
#include "app/train/dataset.h"
#include "app/train/progress.h"
#include "app/train/seeding.h"
#include "core/model/nn/builtin_nets.h"
#include "core/model/vocabulary.h"

namespace ns::train {

namespace {

struct Accuracy {
  double colour = 0, shape = 0, background = 0;
};

// Per-sample augmentation drawn from `gen`: horizontal flip (every shape of the vocabulary is
// mirror-symmetric or still reads as itself), a 2× blur for half the batch, and Gaussian
// noise with σ up to 0.1. No colour changes: colour is a label.
at::Tensor augment(const at::Tensor& x, at::Generator& gen) {
  const int64_t b = x.size(0);
  const at::Device dev = x.device();
  const at::Tensor flip = (at::rand({b}, gen, at::TensorOptions()) < 0.5).to(dev).view({-1, 1, 1, 1});
  at::Tensor y = at::where(flip, x.flip({3}), x);
  const at::Tensor blur = (at::rand({b}, gen, at::TensorOptions()) < 0.5).to(dev).view({-1, 1, 1, 1});
  namespace F = torch::nn::functional;
  const at::Tensor soft = F::interpolate(
      F::avg_pool2d(y, F::AvgPool2dFuncOptions(2)),
      F::InterpolateFuncOptions().size(std::vector<int64_t>{y.size(2), y.size(3)}).mode(torch::kBilinear).align_corners(false));
  y = at::where(blur, soft, y);
  const at::Tensor sigma = (at::rand({b}, gen, at::TensorOptions()) * 0.1).to(dev).view({-1, 1, 1, 1});
  const at::Tensor noise = at::randn(y.sizes(), gen, at::TensorOptions()).to(dev);
  return y + sigma * noise;
}

Accuracy evaluate(ns::nn::ShapesClassifier& net, const SceneDataset& held, const std::string& device) {
  torch::NoGradGuard noGrad;
  net->eval();
  int64_t okC = 0, okS = 0, okB = 0;
  const int64_t n = held.size();
  for (int64_t i = 0; i < n; i += 256) {
    const int64_t e = std::min(n, i + 256);
    const ns::nn::ClassifierOutput out = net->forward(toFloatImages(held.images.slice(0, i, e), device));
    okC += out.colourLogits.argmax(1).cpu().eq(held.colour.slice(0, i, e)).sum().item<int64_t>();
    okS += out.shapeLogits.argmax(1).cpu().eq(held.shape.slice(0, i, e)).sum().item<int64_t>();
    okB += out.backgroundLogits.argmax(1).cpu().eq(held.background.slice(0, i, e)).sum().item<int64_t>();
  }
  net->train();
  const double d = double(std::max<int64_t>(1, n));
  return {double(okC) / d, double(okS) / d, double(okB) / d};
}

}  // namespace

Result<StageOutcome> runClassifierStage(const StageEnv& env) {
  const TrainOptions& o = *env.options;
  const std::string path = env.workPath(kClassifierCheckpoint);
  const at::Device device(o.device);

  SceneDatasetOptions trainOpts;
  trainOpts.count = o.clsDataset > 0 ? o.clsDataset : std::max(256, o.dataset / 2);
  trainOpts.seed = o.seed;
  trainOpts.stream = SeedStream::ClassifierScenes;
  trainOpts.mix = SceneMix::SingleOnly;
  trainOpts.threads = o.threads;
  SceneDatasetOptions heldOpts = trainOpts;
  heldOpts.count = o.clsHeldOut > 0 ? o.clsHeldOut : std::clamp(o.dataset / 8, 128, 2000);
  heldOpts.stream = SeedStream::HeldOutScenes;
  if (o.resume && fileExists(path)) {  // refuse a mismatched resume before generating scenes
    auto metaR = readCheckpointMeta(path);
    if (!metaR) return metaR.error();
    if (auto ok = checkResumeMatches(*metaR, o, trainOpts.count, path); !ok) return ok.error();
  }
  auto trainR = generateSceneDataset(trainOpts, env.stopRequested);
  if (!trainR) {
    if (trainR.error().kind == ErrorKind::Cancelled) return StageOutcome::Interrupted;
    return trainR.error();
  }
  auto heldR = generateSceneDataset(heldOpts, env.stopRequested);
  if (!heldR) {
    if (heldR.error().kind == ErrorKind::Cancelled) return StageOutcome::Interrupted;
    return heldR.error();
  }
  const SceneDataset& train = *trainR;
  const SceneDataset& held = *heldR;
  const int64_t n = train.size(), batch = o.batchCls, total = o.stepsCls;

  torch::manual_seed(mixSeed(o.seed, SeedStream::Init, 3));
  ns::nn::ClassifierConfig config;
  config.numColours = int(Vocabulary::colours().size());
  config.numShapes = int(Vocabulary::shapes().size());
  config.numBackgrounds = int(Vocabulary::backgrounds().size());
  ns::nn::ShapesClassifier net(config);
  net->to(device);
  torch::optim::AdamW optimizer(net->parameters(), torch::optim::AdamWOptions(o.lrCls).weight_decay(0.01));

  int64_t step = 0;
  double wall = 0;
  nlohmann::json meta = nlohmann::json::object();
  const NamedModules modules{{"classifier", net.ptr().get()}};
  if (o.resume && fileExists(path)) {
    auto loaded = loadCheckpoint(path, modules, &optimizer, o.device);
    if (!loaded) return loaded.error();
    meta = *loaded;
    // The classifier's data depend on the seed and its own scene count.
    if (auto ok = checkResumeMatches(meta, o, n, path); !ok) return ok.error();
    step = meta.value("step", int64_t(0));
    wall = meta.value("wall_time_s", 0.0);
    std::fprintf(stderr, "[classifier] resuming at step %lld/%lld\n", (long long)step, (long long)total);
  }
  const int64_t startStep = step;

  const at::Tensor images = train.images.to(device);
  const at::Tensor colour = train.colour.to(device), shape = train.shape.to(device), bg = train.background.to(device);
  const int64_t warmup = std::max<int64_t>(1, std::min<int64_t>(100, total / 20));
  Progress progress("classifier", step, total, o.progressS);
  const auto runStart = Clock::now();
  auto lastSave = runStart;
  double lastLoss = meta.value("final_loss", 0.0);

  auto save = [&](const Accuracy* acc) {
    nlohmann::json m = meta;
    m["stage"] = "classifier";
    m["step"] = step;
    m["target_steps"] = total;
    m["seed"] = o.seed;
    m["dataset"] = n;
    m["held_out"] = held.size();
    m["batch"] = batch;
    m["lr"] = o.lrCls;
    m["config"] = config.toJson();
    m["wall_time_s"] = wall + secondsSince(runStart);
    m["final_loss"] = lastLoss;
    if (acc) m["accuracy"] = {{"colour", acc->colour}, {"shape", acc->shape}, {"background", acc->background}};
    return saveCheckpoint(path, modules, &optimizer, m);
  };

  StageOutcome outcome = StageOutcome::Completed;
  net->train();
  namespace F = torch::nn::functional;
  while (step < total) {
    if (env.interrupted()) {
      outcome = StageOutcome::Interrupted;
      break;
    }
    if (env.pastDeadline()) {
      outcome = StageOutcome::BudgetSpent;
      break;
    }
    setLearningRate<torch::optim::AdamWOptions>(optimizer,
                                                learningRate(o.lrCls, step, total, warmup, env.timeFraction()));
    at::Generator gen = makeGenerator(o.seed, SeedStream::ClassifierStep, uint64_t(step));
    const at::Tensor idx = at::randint(n, {batch}, gen, at::TensorOptions().dtype(at::kLong)).to(device);
    const at::Tensor x = augment(toFloatImages(images.index_select(0, idx), o.device), gen);
    const ns::nn::ClassifierOutput out = net->forward(x);
    const at::Tensor loss = F::cross_entropy(out.colourLogits, colour.index_select(0, idx)) +
                            F::cross_entropy(out.shapeLogits, shape.index_select(0, idx)) +
                            F::cross_entropy(out.backgroundLogits, bg.index_select(0, idx));
    optimizer.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(net->parameters(), 1.0);
    optimizer.step();
    ++step;
    const double l = loss.item<double>();
    if (!std::isfinite(l))
      return makeError(ErrorKind::Model, "classifier loss became " + std::to_string(l) + " at step " +
                                             std::to_string(step) + ": lower --lr-cls");
    progress.update(step, l);
    lastLoss = progress.smoothedLoss();
    if (secondsSince(lastSave) >= o.checkpointMin * 60.0) {
      if (auto ok = save(nullptr); !ok) return ok.error();
      lastSave = Clock::now();
    }
  }
  if (step > startStep) progress.finish(step);
  if (outcome == StageOutcome::Interrupted) {
    if (auto ok = save(nullptr); !ok) return ok.error();
    spdlog::warn("classifier: interrupted at step {}; checkpoint saved to {}", step, path);
    return outcome;
  }
  const Accuracy acc = evaluate(net, held, o.device);
  if (auto ok = save(&acc); !ok) return ok.error();
  spdlog::info("classifier: {} steps, loss {:.4f}; held-out accuracy ({} scenes): colour {:.4f}, shape {:.4f}, "
               "background {:.4f}",
               step, lastLoss, held.size(), acc.colour, acc.shape, acc.background);
  std::fprintf(stderr, "[classifier] done: %lld steps, held-out accuracy colour %.4f shape %.4f background %.4f\n",
               (long long)step, acc.colour, acc.shape, acc.background);
  if (acc.colour < kClassifierBar || acc.shape < kClassifierBar)
    spdlog::warn("classifier: held-out accuracy below the {:.2f} bar (colour {:.4f}, shape {:.4f}): train longer "
                 "(--steps-cls) or on more scenes",
                 kClassifierBar, acc.colour, acc.shape);
  return outcome;
}

}  // namespace ns::train
