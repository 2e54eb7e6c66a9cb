#pragma once
// UnetConfig: the shape of an LDM (Stable Diffusion 1.x/2.x) UNet, read from the weights themselves
// (key names and tensor shapes under a prefix such as "model.diffusion_model."), so any channel
// count, depth or attention placement in a user's file is followed, not assumed.
//
// What the weights cannot say is the attention head split: SD 1.x uses 8 heads at every level,
// SD 2.x 64-wide heads. inferUnetConfig takes it from HeadSplit (the family default, or a diffusers
// config, or an explicit override).

#include <string>
#include <vector>

#include "core/model/sd/weight_map.h"
#include "core/util/result.h"

namespace ns::sd {

struct HeadSplit {
  int heads = 0;     // > 0: this many heads at every level (SD 1.x: 8)
  int headDim = 0;   // > 0: heads = channels / headDim (SD 2.x: 64)
  std::vector<int> headsPerLevel;  // diffusers' attention_head_dim list (heads per level); wins if set
};

struct UnetConfig {
  int inChannels = 4;
  int outChannels = 4;
  int modelChannels = 320;
  std::vector<int> channelMult;      // per level, e.g. {1,2,4,4}
  int numResBlocks = 2;              // ResBlocks per level on the way down (up: one more)
  std::vector<bool> attnAtLevel;     // a SpatialTransformer after each ResBlock of that level
  std::vector<int> headsAtLevel;     // resolved head count per level (0 where no attention)
  bool midAttention = true;
  int transformerDepth = 1;
  int contextDim = 768;
  bool linearProj = false;           // SD 2.x: Linear proj_in/proj_out; SD 1.x: 1x1 convs
  int timeEmbedDim() const { return modelChannels * 4; }
  int levels() const { return int(channelMult.size()); }
};

// SD 1.5's UNet (v1-inference.yaml): 320 channels × (1,2,4,4), 2 ResBlocks per level, attention at
// the first three levels, 8 heads, context 768 — 859,520,964 parameters. For random-weight
// networks of the real size (benchmarks, memory tests).
UnetConfig sd15UnetConfig();

Result<UnetConfig> inferUnetConfig(const WeightMap& w, const std::string& prefix, const HeadSplit& heads,
                                   const std::string& sourceForErrors);

}  // namespace ns::sd
