#include "app/train/motion_stage.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "app/train/checkpoint.h"
#include "app/train/clip_generator.h"
#include "app/train/dataset.h"
#include "app/train/ema.h"
#include "app/train/export.h"
#include "app/train/seeding.h"
#include "app/train/train_loop.h"
#include "app/train/unet_stage.h"
#include "core/model/builtin_denoiser.h"
#include "core/model/builtin_model.h"
#include "core/model/builtin_motion_sites.h"
#include "core/model/builtin_video_denoiser.h"
#include "core/model/builtin_video_model.h"
#include "core/model/module_weights.h"
#include "core/model/nn/builtin_nets.h"
#include "core/model/safetensors.h"
#include "core/model/sd/motion_module.h"

namespace ns::train {

namespace {

constexpr int kMaxFrames = 32;          // position table: windows of up to 32 frames
constexpr int kHeldOutFrames = 8;       // held-out clips of 8 frames (--held-out-clips of them)
constexpr int64_t kCurveEvery = 25;     // loss-curve sample spacing (steps)

// The frozen image model the motion modules are trained on.
struct Frozen {
  ModelBundle bundle;
  std::shared_ptr<nn::BuiltinUNetImpl> unet;
  uint64_t weightsBytes = 0;
};

Result<Frozen> loadFrozen(const TrainOptions& o) {
  auto bundle = loadBuiltinModel(o.outDir, o.device);
  if (!bundle)
    return makeError(ErrorKind::BadInput, "--stage motion trains on the built-in image model in --out (" + o.outDir +
                                              "): " + bundle.error().message);
  auto image = std::dynamic_pointer_cast<BuiltinDenoiser>(bundle->denoiser);
  if (!image) return makeError(ErrorKind::BadInput, o.outDir + " does not hold a built-in UNet");
  Frozen f{*bundle, image->net(), 0};
  for (auto& p : f.unet->parameters()) p.set_requires_grad(false);
  f.unet->eval();
  std::error_code ec;
  f.weightsBytes = std::filesystem::file_size(std::filesystem::path(o.outDir) / "weights.safetensors", ec);
  return f;
}

BuiltinMotionOptions motionOptions(const TrainOptions& o, const nn::UNetConfig& unet) {
  BuiltinMotionOptions m;
  m.heads = o.motionHeads;
  m.groups = unet.groups;
  m.maxFrames = kMaxFrames;
  m.midBlock = true;  // AnimateDiff v2's layout: a module in the middle too
  return m;
}

// uint8 clips [B,F,3,S,S] -> scaled latents [B,C,F,h,w] through the frozen autoencoder.
at::Tensor encodeClips(Codec& codec, const at::Tensor& frames, const std::string& device) {
  const int64_t b = frames.size(0), f = frames.size(1);
  at::Tensor z;
  {
    torch::NoGradGuard noGrad;
    z = codec.encode(toFloatImages(frames.flatten(0, 1), device));
  }
  z = z.clone();  // a plain tensor (the codec may return an inference tensor)
  return z.reshape({b, f, z.size(1), z.size(2), z.size(3)}).permute({0, 2, 1, 3, 4}).contiguous();
}

at::Tensor qSampleClips(const at::Tensor& x0, const at::Tensor& t, const at::Tensor& noise, const at::Tensor& ab) {
  const at::Tensor a = ab.index_select(0, t).view({-1, 1, 1, 1, 1});
  return a.sqrt() * x0 + (1 - a).sqrt() * noise;
}

struct HeldOut {
  at::Tensor xt, t, tokens, noise;
};

Result<HeldOut> makeHeldOut(const TrainOptions& o, Codec& codec, const at::Tensor& ab) {
  const int64_t count = o.motionHeldOut;
  auto clips = generateClipBatch(o.seed, SeedStream::MotionHeldOut, 0, int(count), kHeldOutFrames, 64, o.threads);
  if (!clips) return clips.error();
  const at::Device device(o.device);
  at::Generator gen = makeGenerator(o.seed, SeedStream::MotionHeldOut, uint64_t(1) << 32);
  const at::Tensor x0 = encodeClips(codec, clips->frames, o.device);
  // t spread evenly over the schedule so the number is not at the mercy of a few draws.
  const at::Tensor t = at::linspace(20, kTrainSteps - 20, count).round().to(at::kLong).to(device);
  const at::Tensor noise = at::randn(x0.sizes(), gen, at::TensorOptions()).to(device);
  return HeldOut{qSampleClips(x0, t, noise, ab), t, clips->tokens.to(device), noise};
}

double heldOutLoss(nn::BuiltinUNetImpl& unet, const sd::MotionModules* motion, const HeldOut& h) {
  torch::NoGradGuard noGrad;
  if (motion) return torch::mse_loss(forwardBuiltinVideo(unet, *motion, h.xt, h.t, h.tokens), h.noise).item<double>();
  // The image model alone: every frame on its own.
  const int64_t b = h.xt.size(0), c = h.xt.size(1), f = h.xt.size(2);
  const at::Tensor frames = h.xt.permute({0, 2, 1, 3, 4}).reshape({b * f, c, h.xt.size(3), h.xt.size(4)});
  const at::Tensor out = unet.forward(frames, h.t.repeat_interleave(f), h.tokens.repeat_interleave(f, 0));
  return torch::mse_loss(out.reshape({b, f, c, h.xt.size(3), h.xt.size(4)}).permute({0, 2, 1, 3, 4}), h.noise)
      .item<double>();
}

Result<void> checkMotionResume(const nlohmann::json& meta, const TrainOptions& o, uint64_t weightsBytes,
                               const std::string& path) {
  const bool same = meta.value("seed", uint64_t(0)) == o.seed && meta.value("batch", 0) == o.batchMotion &&
                    meta.value("frames_min", 0) == o.framesMin && meta.value("frames_max", 0) == o.framesMax &&
                    meta.value("heads", 0) == o.motionHeads &&
                    meta.value("image_weights_bytes", uint64_t(0)) == weightsBytes;
  if (!same)
    return makeError(ErrorKind::BadInput,
                     "checkpoint " + path + " was made with --seed " + std::to_string(meta.value("seed", uint64_t(0))) +
                         ", --batch-motion " + std::to_string(meta.value("batch", 0)) + ", --frames-min/max " +
                         std::to_string(meta.value("frames_min", 0)) + "/" + std::to_string(meta.value("frames_max", 0)) +
                         ", --motion-heads " + std::to_string(meta.value("heads", 0)) +
                         " on another image model or with other settings than this run: pass the same options and "
                         "--out, or drop --resume to start over");
  return {};
}

}  // namespace

Result<StageOutcome> runMotionStage(const StageEnv& env) {
  const TrainOptions& o = *env.options;
  const std::string path = env.workPath(kMotionCheckpoint);
  const at::Device device(o.device);
  if (o.framesMin < 1 || o.framesMax < o.framesMin || o.framesMax > kMaxFrames)
    return makeError(ErrorKind::BadInput, "--frames-min/--frames-max must satisfy 1 <= min <= max <= " +
                                              std::to_string(kMaxFrames));
  auto frozenR = loadFrozen(o);
  if (!frozenR) return frozenR.error();
  Frozen& frozen = *frozenR;
  nn::BuiltinUNetImpl& unet = *frozen.unet;
  Codec& codec = *frozen.bundle.codec;
  const at::Tensor ab = alphasCumprod().to(device);

  const BuiltinMotionOptions mopt = motionOptions(o, unet.config());
  const sd::MotionConfig config = builtinMotionConfig(unet.config(), mopt);
  const uint64_t initSeed = mixSeed(o.seed, SeedStream::Init, 3);
  auto motion = sd::MotionModules::createForTraining(config, initSeed);
  auto ema = sd::MotionModules::createForTraining(config, initSeed);
  motion->to(o.device, at::kFloat);
  ema->to(o.device, at::kFloat);
  motion->setTraining(true);
  for (auto& p : ema->network().parameters()) p.set_requires_grad(false);
  Ema averager(ema->network());
  averager.reset(motion->network());
  torch::optim::AdamW optimizer(motion->network().parameters(),
                                torch::optim::AdamWOptions(o.lrMotion).weight_decay(0.01));
  const int64_t params = motion->parameterCount(), batch = o.batchMotion, total = o.stepsMotion;
  spdlog::info("motion: {} modules, {:.2f} M parameters (UNet frozen), batch {} clips of {}-{} frames, lr {}, {} steps",
               config.modules.size(), double(params) / 1e6, batch, o.framesMin, o.framesMax, o.lrMotion, total);

  int64_t step = 0;
  double wall = 0;
  nlohmann::json meta = nlohmann::json::object();
  const NamedModules modules{{"motion", &motion->network()}, {"ema", &ema->network()}};
  if (o.resume && fileExists(path)) {
    auto metaR = readCheckpointMeta(path);
    if (!metaR) return metaR.error();
    if (auto ok = checkMotionResume(*metaR, o, frozen.weightsBytes, path); !ok) return ok.error();
    auto loaded = loadCheckpoint(path, modules, &optimizer, o.device);
    if (!loaded) return loaded.error();
    meta = *loaded;
    step = meta.value("step", int64_t(0));
    wall = meta.value("wall_time_s", 0.0);
    meta["resumed_from_step"] = step;
    std::fprintf(stderr, "[motion] resuming at step %lld/%lld\n", (long long)step, (long long)total);
  }

  auto heldOutR = makeHeldOut(o, codec, ab);
  if (!heldOutR) return heldOutR.error();
  const HeldOut& heldOut = *heldOutR;
  if (!meta.contains("held_out_loss_image")) {
    meta["held_out_loss_image"] = heldOutLoss(unet, nullptr, heldOut);
    meta["held_out_loss_start"] = heldOutLoss(unet, motion.get(), heldOut);  // zero-init: the image model's
    std::fprintf(stderr, "[motion] held-out loss: image model %.5f, motion modules at start %.5f\n",
                 meta["held_out_loss_image"].get<double>(), meta["held_out_loss_start"].get<double>());
  }
  if (!meta.contains("loss_curve")) meta["loss_curve"] = nlohmann::json::array();

  const int64_t warmup = std::max<int64_t>(1, std::min<int64_t>(200, total / 20));
  const auto runStart = Clock::now();
  double lastLoss = meta.value("final_loss", 0.0);
  auto save = [&](int64_t stepsDone, double smoothed) -> Result<void> {
    nlohmann::json m = meta;
    m["stage"] = "motion";
    m["step"] = stepsDone;
    m["target_steps"] = total;
    m["seed"] = o.seed;
    m["batch"] = batch;
    m["frames_min"] = o.framesMin;
    m["frames_max"] = o.framesMax;
    m["lr"] = o.lrMotion;
    m["heads"] = mopt.heads;
    m["groups"] = mopt.groups;
    m["max_frames"] = mopt.maxFrames;
    m["mid_block"] = mopt.midBlock;
    m["unet_config"] = unet.config().toJson();
    m["image_model_id"] = frozen.bundle.denoiser->info().id;
    m["image_weights_bytes"] = frozen.weightsBytes;
    m["parameters"] = params;
    m["ema_decay"] = 0.999;
    m["caption_dropout"] = kCaptionDropout;
    m["device"] = o.device;
    m["wall_time_s"] = wall + secondsSince(runStart);
    m["final_loss"] = smoothed;
    return saveCheckpoint(path, modules, &optimizer, m);
  };

  auto trainStep = [&](int64_t s) -> Result<double> {
    setLearningRate<torch::optim::AdamWOptions>(optimizer,
                                                learningRate(o.lrMotion, s, total, warmup, env.timeFraction()));
    // Every draw from this step's own generator: a resumed run sees the same clips and noise.
    at::Generator gen = makeGenerator(o.seed, SeedStream::MotionStep, uint64_t(s));
    const auto longOpts = at::TensorOptions().dtype(at::kLong);
    const int frames =
        o.framesMin + int(at::randint(o.framesMax - o.framesMin + 1, {1}, gen, longOpts).item<int64_t>());
    const at::Tensor t = at::randint(kTrainSteps, {batch}, gen, longOpts).to(device);
    const at::Tensor drop = (at::rand({batch}, gen, at::TensorOptions()) < kCaptionDropout).to(device);
    auto clips = generateClipBatch(o.seed, SeedStream::MotionClips, uint64_t(s) * uint64_t(batch), int(batch), frames,
                                   64, o.threads);
    if (!clips) return clips.error();
    const at::Tensor x0 = encodeClips(codec, clips->frames, o.device);
    const at::Tensor noise = at::randn(x0.sizes(), gen, at::TensorOptions()).to(device);
    const at::Tensor tokens = clips->tokens.to(device).masked_fill(drop.unsqueeze(1), 0);
    const at::Tensor pred = forwardBuiltinVideo(unet, *motion, qSampleClips(x0, t, noise, ab), t, tokens);
    const at::Tensor loss = torch::mse_loss(pred, noise);
    optimizer.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(motion->network().parameters(), 1.0);
    optimizer.step();
    averager.update(motion->network(), s);
    return loss.item<double>();
  };

  LoopSettings ls;
  ls.stage = "motion";
  ls.startStep = step;
  ls.totalSteps = total;
  ls.stepsThisRun = o.stepsThisRun;
  ls.checkpointMin = o.checkpointMin;
  ls.checkpointSteps = o.checkpointSteps;
  ls.progressS = o.progressS;
  auto onLoss = [&](int64_t done, double smoothed) {
    if (done % kCurveEvery == 0) meta["loss_curve"].push_back({done, smoothed});
    if (!meta.contains("loss_first")) meta["loss_first"] = smoothed;
  };
  auto loop = runTrainingLoop(env, ls, trainStep, save, onLoss);
  if (!loop) return loop.error();
  if (loop->step > step) lastLoss = loop->smoothedLoss;
  if (loop->outcome != StageOutcome::Interrupted) {
    motion->setTraining(false);
    meta["held_out_loss_end"] = heldOutLoss(unet, motion.get(), heldOut);
    meta["held_out_loss_end_ema"] = heldOutLoss(unet, ema.get(), heldOut);
    motion->setTraining(true);
  }
  if (auto ok = save(loop->step, lastLoss); !ok) return ok.error();
  if (loop->outcome == StageOutcome::Interrupted) {
    spdlog::warn("motion: interrupted at step {}; checkpoint saved to {}", loop->step, path);
    return loop->outcome;
  }
  std::fprintf(stderr,
               "[motion] done: %lld steps, loss %.4f; held-out loss: image model %.5f, motion %.5f (EMA %.5f)\n",
               (long long)loop->step, lastLoss, meta["held_out_loss_image"].get<double>(),
               meta["held_out_loss_end"].get<double>(), meta["held_out_loss_end_ema"].get<double>());
  return loop->outcome;
}

Result<std::string> exportMotion(const TrainOptions& o) {
  namespace fs = std::filesystem;
  const std::string ckpt = o.workDir + "/" + kMotionCheckpoint;
  auto metaR = readCheckpointMeta(ckpt);
  if (!metaR) return metaR.error();
  const nlohmann::json& meta = *metaR;
  const nn::UNetConfig unetConfig = nn::UNetConfig::fromJson(meta.at("unet_config"));
  BuiltinMotionOptions mopt;
  mopt.heads = meta.at("heads").get<int>();
  mopt.groups = meta.at("groups").get<int>();
  mopt.maxFrames = meta.at("max_frames").get<int>();
  mopt.midBlock = meta.at("mid_block").get<bool>();
  const sd::MotionConfig config = builtinMotionConfig(unetConfig, mopt);
  auto ema = sd::MotionModules::createRandom(config, 0);  // overwritten by the checkpoint
  if (auto r = loadCheckpoint(ckpt, {{"ema", &ema->network()}}, nullptr, "cpu"); !r) return r.error();
  torch::NoGradGuard noGrad;
  const std::string motionPath = o.outDir + "/" + kMotionFile;
  const auto weights = moduleState(ema->network(), "", at::kHalf);
  if (auto r = writeSafetensors(motionPath, weights,
                                builtinMotionMetadata(config, unetConfig, meta.value("image_model_id", std::string())));
      !r)
    return r.error();

  const std::string jsonPath = o.outDir + "/model.json";
  std::ifstream in(jsonPath);
  nlohmann::json root = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) return makeError(ErrorKind::BadInput, jsonPath + ": missing or not a JSON object");
  nlohmann::json curve = nlohmann::json::array();
  const auto& full = meta.value("loss_curve", nlohmann::json::array());
  // At most ~20 points of the curve in model.json (the checkpoint keeps them all).
  const size_t every = std::max<size_t>(1, (full.size() + 19) / 20);
  for (size_t i = 0; i < full.size(); i += every) curve.push_back(full[i]);
  if (!full.empty() && curve.back() != full.back()) curve.push_back(full.back());
  nlohmann::json training;
  for (const char* key : {"step", "target_steps", "batch", "frames_min", "frames_max", "lr", "wall_time_s",
                          "loss_first", "final_loss", "held_out_loss_image", "held_out_loss_start", "held_out_loss_end",
                          "held_out_loss_end_ema", "resumed_from_step", "ema_decay", "caption_dropout", "seed",
                          "device", "parameters"})
    if (meta.contains(key)) training[key] = meta[key];
  training["loss_curve"] = curve;
  training["loss_curve_note"] = "[step, moving-average training loss]; held_out_* are the ε MSE of " +
                                std::to_string(o.motionHeldOut) +
                                " held-out clips of 8 frames at fixed t/noise (image = the UNet frame by frame)";
  training["command"] = o.commandLine;
  training["torch"] = TORCH_VERSION;
  root["video"] = {{"id", kBuiltinVideoModelId},
                   {"motion_file", kMotionFile},
                   {"architecture",
                    {{"modules", config.modules.size()},
                     {"heads", mopt.heads},
                     {"groups", mopt.groups},
                     {"max_frames", mopt.maxFrames},
                     {"mid_block", mopt.midBlock}}},
                   {"training", training}};
  if (auto r = writeTextAtomic(jsonPath, root.dump(2) + "\n"); !r) return r.error();
  spdlog::info("exported motion modules to {} and model.json's \"video\" section", motionPath);
  return motionPath;
}

}  // namespace ns::train
