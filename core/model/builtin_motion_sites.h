#pragma once
// Where the built-in shapes UNet (core/model/nn/builtin_unet.cpp) takes motion modules, and the
// self-description of a built-in motion-module file.
//
// Sites are named as for SD (core/model/sd/unet_site.h): down_blocks.<level>.motion_modules.<j>
// after the j-th ResBlock(+attention) of each level, mid_block.motion_modules.0 after the middle
// attention, up_blocks.<i>.motion_modules.<j> (i = 0 the deepest level) — AnimateDiff v2's layout.
// Module channels are the UNet's there (base 48, mults [1,2,2]: 48 and 96), which is why the
// GroupNorm groups come from the file (8, like the UNet's) instead of AnimateDiff's fixed 32.
//
// A built-in motion file (motion.safetensors, written by noisestudio-train --stage motion) holds
// the canonical AnimateDiff tensor names of those sites and describes itself in the safetensors
// metadata, so a file found anywhere can be checked against the UNet it is combined with:
//   "format": "noisestudio-motion", "heads", "groups", "max_frames", "mid_block" ("0"/"1"),
//   "unet_base_channels", "unet_mults" ("1,2,2"), "unet_res_blocks", and "model_id" (the image
//   model it was trained on).
// Pure functions (no LibTorch networks built); parseBuiltinMotionFile is fuzzed
// (tests/fuzz/fuzz_builtin_motion.cpp).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/model/nn/net_configs.h"
#include "core/model/sd/motion_config.h"
#include "core/util/result.h"

namespace ns {

constexpr const char* kBuiltinMotionFormat = "noisestudio-motion";

// What the trainer chooses for a new built-in motion module (the file then records it).
struct BuiltinMotionOptions {
  int heads = 4;
  int groups = 8;
  int maxFrames = 32;
  bool midBlock = true;
  int transformerBlocks = 1;
  int attentionBlocks = 2;
};

// The modules (sites and channels) of a built-in UNet of this shape.
sd::MotionConfig builtinMotionConfig(const nn::UNetConfig& unet, const BuiltinMotionOptions& options);

// Canonical tensor name -> shape of every module of `config`, written out from AnimateDiff's
// layout (equal to sd::MotionModules::expectedShapes, which builds the network; this does not, so
// the parser stays cheap and fuzzable).
std::map<std::string, std::vector<int64_t>> motionTensorShapes(const sd::MotionConfig& config);

// The metadata strings a file with `config` trained on `unet` carries (see above).
std::map<std::string, std::string> builtinMotionMetadata(const sd::MotionConfig& config, const nn::UNetConfig& unet,
                                                         const std::string& modelId);

// Checks a built-in motion file's metadata and tensors against `unet` (the image model it is
// combined with): format, heads/groups/max_frames in range and dividing the channels, the UNet
// shape it was trained on, the layout read from the tensor names (sd::inferMotionConfig) equal to
// the UNet's sites, every tensor's shape. Returns the config to build the modules with. Errors
// (ErrorKind::Model) name `source` and the field or tensor.
// *canonicalOut (optional) receives the tensors under their canonical names.
Result<sd::MotionConfig> parseBuiltinMotionFile(const std::map<std::string, std::string>& metadata,
                                               const sd::WeightMap& tensors, const nn::UNetConfig& unet,
                                               const std::string& source, sd::WeightMap* canonicalOut = nullptr);

}  // namespace ns
