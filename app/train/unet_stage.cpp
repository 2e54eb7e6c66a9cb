#include "app/train/unet_stage.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "app/train/autoencoder_stage.h"
#include "app/train/checkpoint.h"
#include "app/train/ema.h"
#include "app/train/progress.h"
#include "app/train/seeding.h"
#include "core/diffusion/noise_schedule.h"
#include "core/model/nn/builtin_nets.h"
#include "core/model/vocabulary.h"

namespace ns::train {

at::Tensor alphasCumprod(int trainSteps, double betaStart, double betaEnd) {
  // The sampler's own table (core/diffusion/noise_schedule.h), so training and sampling agree.
  ScheduleConfig config;
  config.beta = BetaSchedule::ScaledLinear;
  config.betaStart = betaStart;
  config.betaEnd = betaEnd;
  config.trainSteps = trainSteps;
  auto schedule = NoiseSchedule::fromConfig(config);
  if (!schedule) throw std::invalid_argument("noise schedule: " + schedule.error().message);
  return schedule->alphasCumprod().to(at::kFloat);
}

namespace {

constexpr int64_t kProbeSize = 64;

// The frozen stage-1 encoder turns every training image into a scaled latent, once.
Result<at::Tensor> encodeDataset(const StageEnv& env, const SceneDataset& data, double* scaleOut,
                                 nlohmann::json* aeConfigOut) {
  const TrainOptions& o = *env.options;
  const std::string path = env.workPath(kAutoencoderCheckpoint);
  if (!fileExists(path))
    return makeError(ErrorKind::BadInput, path + " does not exist: train the autoencoder first (--stage autoencoder "
                                                 "or --stage all, with the same --work folder)");
  auto metaR = readCheckpointMeta(path);
  if (!metaR) return metaR.error();
  const nlohmann::json& meta = *metaR;
  if (!meta.contains("latent_scale") || !meta.contains("config"))
    return makeError(ErrorKind::BadInput, path + " is an unfinished autoencoder checkpoint (no \"latent_scale\"): "
                                                 "finish it with --stage autoencoder --resume");
  const double scale = meta["latent_scale"].get<double>();
  const ns::nn::AutoencoderConfig config = ns::nn::AutoencoderConfig::fromJson(meta["config"]);
  ns::nn::TinyAutoencoder ae(config);
  ae->to(at::Device(o.device));
  if (auto r = loadCheckpoint(path, {{"autoencoder", ae.ptr().get()}}, nullptr, o.device); !r) return r.error();
  ae->eval();
  torch::NoGradGuard noGrad;
  const auto t0 = Clock::now();
  std::vector<at::Tensor> parts;
  const int64_t n = data.size(), chunk = o.device == "cpu" ? 64 : 512;
  for (int64_t i = 0; i < n; i += chunk) {
    if (env.interrupted()) return makeError(ErrorKind::Cancelled, "interrupted while encoding the dataset");
    const at::Tensor x = toFloatImages(data.images.slice(0, i, std::min(n, i + chunk)), o.device);
    parts.push_back(ae->encode(x).mul(scale));
  }
  at::Tensor latents = at::cat(parts, 0);
  spdlog::info("unet: encoded {} images to latents {} (scale {:.4f}) in {:.1f} s, latent std {:.3f}", n,
               c10::str(latents.sizes()), scale, secondsSince(t0), latents.std().item<double>());
  *scaleOut = scale;
  *aeConfigOut = meta["config"];
  return latents;
}

struct Batch {
  at::Tensor xt, t, tokens, noise;
};

// q-sample: x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·ε.
at::Tensor qSample(const at::Tensor& x0, const at::Tensor& t, const at::Tensor& noise, const at::Tensor& ab) {
  const at::Tensor a = ab.index_select(0, t).view({-1, 1, 1, 1});
  return a.sqrt() * x0 + (1 - a).sqrt() * noise;
}

}  // namespace

Result<StageOutcome> runUnetStage(const StageEnv& env, const SceneDataset& data) {
  const TrainOptions& o = *env.options;
  const std::string path = env.workPath(kUnetCheckpoint);
  const at::Device device(o.device);
  const int64_t n = data.size(), batch = o.batchUnet, total = o.stepsUnet;

  // Refuse a mismatched resume before the (slow on a CPU) dataset encoding.
  if (o.resume && fileExists(path)) {
    auto metaR = readCheckpointMeta(path);
    if (!metaR) return metaR.error();
    if (auto ok = checkResumeMatches(*metaR, o, n, path); !ok) return ok.error();
  }
  double latentScale = 1;
  nlohmann::json aeConfig;
  auto latentsR = encodeDataset(env, data, &latentScale, &aeConfig);
  if (!latentsR) return latentsR.error();
  const at::Tensor latents = *latentsR;  // [N,C,h,w] on the device
  const at::Tensor tokens = data.tokens.to(device);
  const at::Tensor ab = alphasCumprod().to(device);

  torch::manual_seed(mixSeed(o.seed, SeedStream::Init, 2));
  ns::nn::UNetConfig config;
  config.inChannels = int(latents.size(1));
  config.vocabSize = int(Vocabulary::words().size());
  config.maxTokens = Vocabulary::kMaxTokens;
  ns::nn::BuiltinUNet unet(config);
  ns::nn::BuiltinUNet ema(config);
  unet->to(device);
  ema->to(device);
  for (auto& p : ema->parameters()) p.set_requires_grad(false);
  Ema averager(*ema);
  averager.reset(*unet);
  torch::optim::AdamW optimizer(unet->parameters(), torch::optim::AdamWOptions(o.lrUnet).weight_decay(0.01));
  int64_t params = 0;
  for (const auto& p : unet->parameters()) params += p.numel();
  spdlog::info("unet: {:.2f} M parameters, batch {}, lr {}, {} steps", double(params) / 1e6, batch, o.lrUnet, total);

  int64_t step = 0;
  double wall = 0;
  nlohmann::json meta = nlohmann::json::object();
  const NamedModules modules{{"unet", unet.ptr().get()}, {"ema", ema.ptr().get()}};
  if (o.resume && fileExists(path)) {
    auto loaded = loadCheckpoint(path, modules, &optimizer, o.device);
    if (!loaded) return loaded.error();
    meta = *loaded;
    if (auto ok = checkResumeMatches(meta, o, n, path); !ok) return ok.error();
    step = meta.value("step", int64_t(0));
    wall = meta.value("wall_time_s", 0.0);
    meta["resumed_from_step"] = step;
    spdlog::info("unet: resuming from {} at step {}", path, step);
    std::fprintf(stderr, "[unet] resuming at step %lld/%lld\n", (long long)step, (long long)total);
  }
  const int64_t startStep = step;

  // Probe: the same scenes, timesteps and noise at every measurement.
  const int64_t probeN = std::min<int64_t>(n, kProbeSize);
  at::Generator probeGen = makeGenerator(o.seed, SeedStream::Probe, 0);
  const at::Tensor probeT = at::randint(kTrainSteps, {probeN}, probeGen, at::TensorOptions().dtype(at::kLong)).to(device);
  const at::Tensor probeNoise = at::randn({probeN, latents.size(1), latents.size(2), latents.size(3)}, probeGen,
                                          at::TensorOptions()).to(device);
  const at::Tensor probeX = qSample(latents.slice(0, 0, probeN), probeT, probeNoise, ab);
  const at::Tensor probeTok = tokens.slice(0, 0, probeN);
  auto probeLoss = [&](ns::nn::BuiltinUNet& net) {
    torch::NoGradGuard noGrad;
    return torch::mse_loss(net->forward(probeX, probeT, probeTok), probeNoise).item<double>();
  };
  if (step == 0 || !meta.contains("probe_loss_start")) meta["probe_loss_start"] = probeLoss(unet);

  const int64_t warmup = std::max<int64_t>(1, std::min<int64_t>(500, total / 20));
  Progress progress("unet", step, total, o.progressS);
  const auto runStart = Clock::now();
  auto lastSave = runStart;
  double lastLoss = meta.value("final_loss", 0.0);

  auto save = [&]() {
    nlohmann::json m = meta;
    m["stage"] = "unet";
    m["step"] = step;
    m["target_steps"] = total;
    m["seed"] = o.seed;
    m["dataset"] = n;
    m["batch"] = batch;
    m["lr"] = o.lrUnet;
    m["config"] = config.toJson();
    m["autoencoder_config"] = aeConfig;
    m["latent_scale"] = latentScale;
    m["parameters"] = params;
    m["ema_decay"] = 0.999;
    m["caption_dropout"] = kCaptionDropout;
    m["wall_time_s"] = wall + secondsSince(runStart);
    m["final_loss"] = lastLoss;
    return saveCheckpoint(path, modules, &optimizer, m);
  };

  StageOutcome outcome = StageOutcome::Completed;
  unet->train();
  const auto latentShape = latents.sizes().slice(1).vec();
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
                                                learningRate(o.lrUnet, step, total, warmup, env.timeFraction()));
    // All draws on the CPU from a per-step generator, then moved: the same run on any device
    // and after any resume sees the same batches.
    at::Generator gen = makeGenerator(o.seed, SeedStream::UnetStep, uint64_t(step));
    const auto longOpts = at::TensorOptions().dtype(at::kLong);
    const at::Tensor idx = at::randint(n, {batch}, gen, longOpts).to(device);
    const at::Tensor t = at::randint(kTrainSteps, {batch}, gen, longOpts).to(device);
    std::vector<int64_t> noiseShape{batch};
    noiseShape.insert(noiseShape.end(), latentShape.begin(), latentShape.end());
    const at::Tensor noise = at::randn(noiseShape, gen, at::TensorOptions()).to(device);
    const at::Tensor drop = (at::rand({batch}, gen, at::TensorOptions()) < kCaptionDropout).to(device);

    const at::Tensor x0 = latents.index_select(0, idx);
    const at::Tensor tok = tokens.index_select(0, idx).masked_fill(drop.unsqueeze(1), 0);
    const at::Tensor pred = unet->forward(qSample(x0, t, noise, ab), t, tok);
    const at::Tensor loss = torch::mse_loss(pred, noise);
    optimizer.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(unet->parameters(), 1.0);
    optimizer.step();
    averager.update(*unet, step);
    ++step;
    const double l = loss.item<double>();
    if (!std::isfinite(l))
      return makeError(ErrorKind::Model,
                       "UNet loss became " + std::to_string(l) + " at step " + std::to_string(step) + ": lower --lr");
    progress.update(step, l);
    lastLoss = progress.smoothedLoss();
    if (secondsSince(lastSave) >= o.checkpointMin * 60.0) {
      if (auto ok = save(); !ok) return ok.error();
      lastSave = Clock::now();
    }
  }
  if (step > startStep) progress.finish(step);

  if (outcome != StageOutcome::Interrupted) {
    meta["probe_loss_end"] = probeLoss(unet);
    meta["probe_loss_end_ema"] = probeLoss(ema);
  }
  if (auto ok = save(); !ok) return ok.error();
  if (outcome == StageOutcome::Interrupted) {
    spdlog::warn("unet: interrupted at step {}; checkpoint saved to {}", step, path);
    return outcome;
  }
  if (outcome == StageOutcome::BudgetSpent)
    spdlog::warn("unet: time budget spent at step {}/{}; exporting what it learned", step, total);
  const double p0 = meta["probe_loss_start"].get<double>(), p1 = meta["probe_loss_end"].get<double>(),
               pe = meta["probe_loss_end_ema"].get<double>();
  spdlog::info("unet: {} steps, loss {:.4f}; probe loss {:.4f} -> {:.4f} (EMA {:.4f})", step, lastLoss, p0, p1, pe);
  std::fprintf(stderr, "[unet] done: %lld steps, probe loss %.4f -> %.4f (EMA weights %.4f)\n", (long long)step, p0,
               p1, pe);
  return outcome;
}

}  // namespace ns::train
