#pragma once
// MotionConfig: the layout of an AnimateDiff motion-module file (v1/v2/v3 for SD 1.5), read from
// its tensor names and shapes only — which UNet sites carry a module (v2 has one in the mid block,
// v3 does not), each module's channels, how many temporal transformer blocks and attention blocks
// it has, and how many frames its sinusoidal position table covers (the pe buffer's length; 32 in
// the released files). Nothing is assumed per version: a file is described by what it holds.
//
// Two namings are read, and both are rewritten to the original one before anything else looks at
// them (canonicalMotionWeights):
//   original (guoyww/AnimateDiff):  <site>.temporal_transformer.{norm,proj_in,proj_out}.*,
//       ...transformer_blocks.L.attention_blocks.A.{to_q,to_k,to_v,to_out.0}.*, ...norms.A.*,
//       ...ff.net.{0.proj,2}.*, ...ff_norm.*, ...attention_blocks.A.pos_encoder.pe
//   diffusers (MotionAdapter):      <site>.{norm,proj_in,proj_out}.*, ...transformer_blocks.L.
//       {attn1,attn2}.*, norm1/norm2 (attention norms), norm3 (ff norm), ff.*, pos_embed.pe
// where <site> is "down_blocks.i.motion_modules.j", "mid_block.motion_modules.0" or
// "up_blocks.i.motion_modules.j" (unet_site.h). A leading "module." or "model.diffusion_model."
// (some training scripts save those) is dropped.
//
// The attention head count is not in the weights: AnimateDiff always uses 8 (the default here).

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/sd/unet_config.h"
#include "core/model/sd/unet_site.h"
#include "core/model/sd/weight_map.h"
#include "core/util/result.h"

namespace ns::sd {

struct MotionModuleShape {
  UnetSite site;
  int channels = 0;        // the UNet's channels at the site (GroupNorm / proj_in input)
  int innerDim = 0;        // proj_in output (channels unless temporal_attention_dim_div != 1)
};

struct MotionConfig {
  std::vector<MotionModuleShape> modules;  // sorted by site: down, mid, up
  bool midBlock = false;                   // AnimateDiff v2 layout
  int transformerBlocks = 1;               // per module (num_transformer_block)
  int attentionBlocks = 2;                 // per transformer block ("Temporal_Self", "Temporal_Self")
  int heads = 8;
  // GroupNorm groups of each module's input norm. AnimateDiff's files use 32; the built-in shapes
  // model's channels (48/96) take 8, as its UNet does. Not in the weights: set by whoever builds
  // the config (inferMotionConfig keeps 32, builtinMotionConfig takes the UNet's).
  int groups = 32;
  int maxFrames = 32;                      // position-encoding length: the longest clip in one window
  bool maxFramesFromFile = false;          // false: no pe tensor in the file, 32 assumed
  std::string naming;                      // "animatediff" or "diffusers" (as found in the file)
};

// Rewrites a motion-module state dict to the original AnimateDiff names (see above) and drops the
// pe tables (recording their length in *peLength, -1 if none, after checking they agree). Tensors
// that are not motion-module tensors are refused, naming one, so a wrong file is not half-read.
Result<WeightMap> canonicalMotionWeights(const WeightMap& w, const std::string& source, std::string* naming,
                                         int* peLength);

// The layout of canonical weights. Fails naming `source` and the tensor when a module is
// incomplete or its shapes disagree with each other.
// `groups`: the GroupNorm groups the file's modules use (not in the weights; AnimateDiff: 32).
Result<MotionConfig> inferMotionConfig(const WeightMap& canonical, const std::string& source, int heads = 8,
                                       int groups = 32);

// Whether `motion` fits `unet`: every site the UNet has (AnimateDiff puts a module after every
// ResBlock at every level, so a file covering only some sites is refused) with the UNet's channels
// there; the mid-block module is optional. Messages name both files.
Result<void> checkMotionFitsUnet(const MotionConfig& motion, const UnetConfig& unet, const std::string& motionSource,
                                 const std::string& unetSource);

// The sites AnimateDiff gives a UNet of this shape (without / with the mid block), with channels.
std::vector<MotionModuleShape> unetMotionSites(const UnetConfig& unet, bool midBlock);

}  // namespace ns::sd
