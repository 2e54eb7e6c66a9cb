#include "app/train/autoencoder_stage.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "app/train/checkpoint.h"
#include "app/train/progress.h"
#include "app/train/seeding.h"
#include "core/model/nn/builtin_nets.h"

namespace ns::train {

namespace {

constexpr double kLatentPenalty = 1e-4;  // weight of mean(z²): small, only bounds the latent range
constexpr int64_t kScaleImages = 4096;   // images used to measure the latent std
constexpr int64_t kReconImages = 256;    // of those, decoded for the reconstruction error

struct LatentStats {
  double scale = 1, reconMse = 0;
};

// Encodes up to kScaleImages training images with the trained encoder (eval mode, no grad) for the
// latent std; decodes only the first kReconImages of them for the reconstruction error (decoding
// costs more than encoding, and the error is a report, not an input of later stages).
LatentStats measureLatents(ns::nn::TinyAutoencoder& ae, const at::Tensor& images, const std::string& device) {
  torch::NoGradGuard noGrad;
  ae->eval();
  const int64_t n = std::min<int64_t>(images.size(0), kScaleImages);
  const int64_t chunk = device == "cpu" ? 64 : 512;
  double sum = 0, sumSq = 0, count = 0, sqErr = 0, pixels = 0;
  for (int64_t i = 0; i < n; i += chunk) {
    const int64_t e = std::min(n, i + chunk);
    const at::Tensor x = toFloatImages(images.slice(0, i, e), device);
    const at::Tensor z = ae->encode(x);
    const at::Tensor zd = z.to(at::kDouble);
    sum += zd.sum().item<double>();
    sumSq += zd.pow(2).sum().item<double>();
    count += double(z.numel());
    if (i < kReconImages) {
      const int64_t m = std::min<int64_t>(e - i, kReconImages - i);
      const at::Tensor rec = ae->decode(z.slice(0, 0, m)).clamp(-1, 1);
      sqErr += (rec - x.slice(0, 0, m)).pow(2).sum().item<double>();
      pixels += double(rec.numel());
    }
  }
  ae->train();
  LatentStats s;
  const double mean = sum / count;
  const double stdev = std::sqrt(std::max(1e-12, sumSq / count - mean * mean));
  s.scale = 1.0 / stdev;
  s.reconMse = sqErr / std::max(1.0, pixels);
  return s;
}

}  // namespace

Result<StageOutcome> runAutoencoderStage(const StageEnv& env, const SceneDataset& data) {
  const TrainOptions& o = *env.options;
  const std::string path = env.workPath(kAutoencoderCheckpoint);
  const at::Device device(o.device);
  const int64_t n = data.size(), batch = o.batchAe, total = o.stepsAe;

  // torch::nn initialises from the global generator: seed it from the run seed, right here.
  torch::manual_seed(mixSeed(o.seed, SeedStream::Init, 1));
  ns::nn::AutoencoderConfig config;
  ns::nn::TinyAutoencoder ae(config);
  ae->to(device);
  torch::optim::AdamW optimizer(ae->parameters(), torch::optim::AdamWOptions(o.lrAe).weight_decay(0.0));

  int64_t step = 0;
  double wall = 0;
  nlohmann::json meta = nlohmann::json::object();
  if (o.resume && fileExists(path)) {
    auto loaded = loadCheckpoint(path, {{"autoencoder", ae.ptr().get()}}, &optimizer, o.device);
    if (!loaded) return loaded.error();
    meta = *loaded;
    if (auto ok = checkResumeMatches(meta, o, n, path); !ok) return ok.error();
    step = meta.value("step", int64_t(0));
    wall = meta.value("wall_time_s", 0.0);
    spdlog::info("autoencoder: resuming from {} at step {}", path, step);
    std::fprintf(stderr, "[autoencoder] resuming at step %lld/%lld\n", (long long)step, (long long)total);
  }
  const int64_t startStep = step;

  // The whole byte dataset goes to the device once; batches are gathered and converted there.
  const at::Tensor images = data.images.to(device);
  const int64_t warmup = std::max<int64_t>(1, std::min<int64_t>(200, total / 20));
  Progress progress("autoencoder", step, total, o.progressS);
  const auto runStart = Clock::now();
  auto lastSave = runStart;
  double lastLoss = meta.value("final_loss", 0.0);

  auto makeMeta = [&](bool withScale, const LatentStats& stats) {
    nlohmann::json m = meta;
    m["stage"] = "autoencoder";
    m["step"] = step;
    m["target_steps"] = total;
    m["seed"] = o.seed;
    m["dataset"] = n;
    m["batch"] = batch;
    m["lr"] = o.lrAe;
    m["config"] = config.toJson();
    m["wall_time_s"] = wall + secondsSince(runStart);
    m["final_loss"] = lastLoss;
    if (withScale) {
      m["latent_scale"] = stats.scale;
      m["recon_mse"] = stats.reconMse;
    }
    return m;
  };
  auto save = [&](bool withScale, const LatentStats& stats) {
    return saveCheckpoint(path, {{"autoencoder", ae.ptr().get()}}, &optimizer, makeMeta(withScale, stats));
  };

  StageOutcome outcome = StageOutcome::Completed;
  ae->train();
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
                                                learningRate(o.lrAe, step, total, warmup, env.timeFraction()));
    at::Generator gen = makeGenerator(o.seed, SeedStream::AutoencoderStep, uint64_t(step));
    const at::Tensor idx = at::randint(n, {batch}, gen, at::TensorOptions().dtype(at::kLong)).to(device);
    const at::Tensor x = toFloatImages(images.index_select(0, idx), o.device);
    const at::Tensor z = ae->encode(x);
    const at::Tensor rec = ae->decode(z);
    const at::Tensor diff = rec - x;
    const at::Tensor loss = diff.abs().mean() + diff.pow(2).mean() + kLatentPenalty * z.pow(2).mean();
    optimizer.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(ae->parameters(), 1.0);
    optimizer.step();
    ++step;
    lastLoss = loss.item<double>();
    if (!std::isfinite(lastLoss))
      return makeError(ErrorKind::Model, "autoencoder loss became " + std::to_string(lastLoss) + " at step " +
                                             std::to_string(step) + ": lower --lr-ae");
    progress.update(step, lastLoss);
    lastLoss = progress.smoothedLoss();
    if (secondsSince(lastSave) >= o.checkpointMin * 60.0) {
      if (auto ok = save(false, {}); !ok) return ok.error();
      lastSave = Clock::now();
    }
  }
  if (step > startStep) progress.finish(step);

  if (outcome == StageOutcome::Interrupted) {
    if (auto ok = save(false, {}); !ok) return ok.error();
    spdlog::warn("autoencoder: interrupted at step {}; checkpoint saved to {}", step, path);
    return outcome;
  }
  if (outcome == StageOutcome::BudgetSpent)
    spdlog::warn("autoencoder: time budget spent at step {}/{}; using what it learned", step, total);

  const LatentStats stats = measureLatents(ae, images, o.device);
  if (auto ok = save(true, stats); !ok) return ok.error();
  const double psnr = 10.0 * std::log10(4.0 / std::max(1e-12, stats.reconMse));  // range [-1,1] has peak 2
  spdlog::info("autoencoder: {} steps, loss {:.4f}, latent scale {:.4f}, reconstruction MSE {:.5f} (PSNR {:.1f} dB)",
               step, lastLoss, stats.scale, stats.reconMse, psnr);
  std::fprintf(stderr, "[autoencoder] done: %lld steps, latent scale %.4f, reconstruction PSNR %.1f dB\n",
               (long long)step, stats.scale, psnr);
  return outcome;
}

}  // namespace ns::train
