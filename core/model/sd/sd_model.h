#pragma once
// SdModel: a Stable Diffusion 1.x/2.x checkpoint built into native networks — UNet, VAE, text
// tower and (when a CLIP vocabulary is found) the prompt encoder — plus what `model info` reports.
// loadSdModel is the one door for the three layouts users have: a single .safetensors file, a
// .ckpt/.pt file, a diffusers folder.
//
// Order of work, so that a bad or oversized file costs nothing: read names and shapes (a mapped
// file: no weights touched), refuse unsupported families, infer the configurations, estimate the
// fp32 size and refuse it against the available memory, then build and copy each part once.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/model/model_bundle.h"
#include "core/model/sd/clip_text_model.h"
#include "core/model/sd/motion_module.h"
#include "core/model/sd/sd_checkpoint.h"
#include "core/model/sd/sd_text_conditioner.h"
#include "core/model/sd/sd_unet.h"
#include "core/model/sd/sd_vae.h"

namespace ns::sd {

struct SdLoadOptions {
  PredictionType prediction = PredictionType::Invalid;  // override (--prediction); Invalid: from the file
  HeadSplit unetHeads;               // override of the UNet head split (unusual or tiny files)
  int64_t textHeads = 0;             // override of the text tower's heads (0: width / 64)
  std::string tokenizerDir;          // a folder with vocab.json + merges.txt (overrides the lookup)
  std::string device = "cpu";
  // An AnimateDiff motion module (.safetensors/.ckpt, original or diffusers names) to add to the
  // UNet: the model becomes a video model (SdVideoDenoiser). Empty: an image model.
  std::string motionModule;
  int motionHeads = 8;               // AnimateDiff's temporal attention heads (the weights do not say)
  uint64_t availableBytes = 0;       // free memory on `device`; 0: not checked
  // Called between the load's parts ("reading", "unet", "vae", "text", "done"), done of total;
  // on the loading thread. Loading a 2 GB file takes tens of seconds on a CPU: show it.
  std::function<void(const std::string& part, int done, int total)> progress;
};

struct SdModelReport {
  std::string source, layout, family;
  std::string prediction;            // "epsilon" / "v_prediction"
  std::string predictionSource;      // "file", "family", "option", "test forward"
  std::map<std::string, int64_t> storageDtypes;
  int64_t unetParameters = 0, vaeParameters = 0, textParameters = 0;
  int latentChannels = 4;
  double latentScale = 0.18215;
  int defaultImageSize = 512;        // pixels
  uint64_t fileBytes = 0;
  uint64_t estimatedBytes = 0;       // fp32 weights, before loading
  double loadSeconds = 0;
  uint64_t residentBytes = 0;        // VmRSS after loading
  uint64_t peakResidentBytes = 0;    // VmHWM after loading
  std::string tokenizer;             // the vocabulary used, or why there is none
  // With a motion module (empty source: none).
  std::string motionSource, motionNaming;  // naming: "animatediff" or "diffusers"
  int motionModules = 0, motionMaxFrames = 0;
  bool motionMidBlock = false;
  int64_t motionParameters = 0;
};

struct SdModel {
  std::shared_ptr<SdUnet> unet;
  std::shared_ptr<SdVae> vae;
  std::shared_ptr<ClipTextModel> text;
  std::shared_ptr<SdTextConditioner> conditioner;  // null when no CLIP vocabulary was found
  std::shared_ptr<MotionModules> motion;           // null for an image model
  DenoiserInfo info;
  SdModelReport report;
};

// True for paths loadSdModel reads: *.safetensors / *.ckpt / *.pt / *.pth files and folders with a
// model_index.json.
bool isSdModelPath(const std::string& path);

Result<SdModel> loadSdModel(const std::string& path, const SdLoadOptions& options = {});

// The bundle the engine runs (denoiser, codec, text). Fails, naming the file, when the model has
// no prompt encoder because no CLIP vocabulary was found.
Result<ModelBundle> toModelBundle(const SdModel& model);

// Where single files find CLIP's BPE vocabulary (they carry none): $NS_CLIP_TOKENIZER_DIR, the
// user's data folder (~/.local/share/NoiseStudio/clip), <install>/share/noisestudio/clip, the
// source tree's resources/clip, then the copies other tools keep (the Hugging Face cache's
// openai/clip-vit-large-patch14, ~/ComfyUI/comfy/sd1_tokenizer) — each a folder with vocab.json
// and merges.txt. Empty if none.
std::string findClipTokenizerDir();

}  // namespace ns::sd
