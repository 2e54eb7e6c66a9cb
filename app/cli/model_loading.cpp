#include "app/cli/model_loading.h"

#include <filesystem>

#include "app/cli/commands.h"
#include "core/engine/engine.h"
#include "core/model/builtin_model.h"
#include "core/model/model_loader.h"
#include "core/util/torch_runtime.h"

namespace ns::cli {

void addModelSourceOptions(CLI::App& app, GlobalOptions& g) {
  app.add_option("--prediction", g.prediction,
                 "What a Stable Diffusion file predicts, when it does not say (SD 2.x 512-base: eps, 768-v: v)")
      ->check(CLI::IsMember({"eps", "epsilon", "v", "v_prediction"}));
  app.add_option("--tokenizer", g.tokenizer,
                 "Folder with CLIP's vocab.json and merges.txt for single-file checkpoints (they carry none)");
  app.add_option("--unet-heads", g.unetHeads, "UNet attention heads at every level (SD 1.x: 8), for unusual files")
      ->check(CLI::Range(1, 1024));
  app.add_option("--unet-head-dim", g.unetHeadDim, "UNet attention head width (SD 2.x: 64), for unusual files")
      ->check(CLI::Range(1, 4096));
  app.add_option("--text-heads", g.textHeads, "Text encoder attention heads (default: width / 64)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--motion-module", g.motionModule,
                 "Motion module that turns the image model into a video model: an AnimateDiff file (.safetensors/"
                 ".ckpt, v2/v3, original or diffusers names) with a Stable Diffusion 1.x --model, or the built-in "
                 "one (resources/models/builtin/motion.safetensors) with the built-in model");
}

Result<sd::SdLoadOptions> sdLoadOptionsFor(const GlobalOptions& g) {
  sd::SdLoadOptions o;
  if (g.prediction == "eps" || g.prediction == "epsilon") o.prediction = PredictionType::Epsilon;
  else if (g.prediction == "v" || g.prediction == "v_prediction") o.prediction = PredictionType::VPrediction;
  o.tokenizerDir = g.tokenizer;
  o.unetHeads.heads = g.unetHeads;
  o.unetHeads.headDim = g.unetHeadDim;
  o.textHeads = g.textHeads;
  o.motionModule = g.motionModule;
  o.device = resolveDevice(g.device);
  if (auto mem = availableMemory(o.device)) o.availableBytes = uint64_t(std::max<int64_t>(mem->bytes, 0));
  return o;
}

Result<ModelBundle> loadModelFor(const GlobalOptions& g) {
  initTorchRuntime();
  const std::string device = resolveDevice(g.device);
  std::string dir = g.model;
  if (dir.empty()) {
    dir = findBuiltinModelDir();
    if (dir.empty())
      return makeError(ErrorKind::Model,
                       "the built-in model was not found (looked in $NS_BUILTIN_MODEL_DIR, <install>/share/noisestudio/"
                       "models/builtin and the source tree's resources/models/builtin)");
  }
  if (!g.motionModule.empty() && modelPathKind(dir) == ModelPathKind::Invalid)
    return makeError(ErrorKind::BadInput, g.motionModule + ": a motion module goes with a Stable Diffusion --model "
                                                           "(.safetensors/.ckpt file or diffusers folder) or the "
                                                           "built-in model, not with " + g.model);
  if (modelPathKind(dir) == ModelPathKind::SdCheckpoint) {
    auto o = sdLoadOptionsFor(g);
    if (!o.ok()) return o.error();
    ModelLoadOptions lo;
    lo.device = device;
    lo.sd = *o;
    return loadModel(dir, lo);
  }
  ModelLoadOptions lo;
  lo.device = device;
  lo.sd.motionModule = g.motionModule;  // the built-in model + its motion file: the built-in video model
  return loadModel(dir, lo);
}

}  // namespace ns::cli
