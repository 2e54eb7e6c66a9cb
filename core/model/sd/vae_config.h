#pragma once
// VaeConfig: the shape of an LDM AutoencoderKL (Stable Diffusion's VAE), read from the weights
// under a prefix such as "first_stage_model.".

#include <string>
#include <vector>

#include "core/model/sd/weight_map.h"
#include "core/util/result.h"

namespace ns::sd {

struct VaeConfig {
  int ch = 128;                    // base channels
  std::vector<int> chMult;         // per level, e.g. {1,2,4,4}
  int numResBlocks = 2;            // encoder ResnetBlocks per level (decoder: one more)
  int zChannels = 4;               // decoder input / encoder output (x2 for mean and log-variance)
  int embedDim = 4;                // latent channels after quant_conv
  int inChannels = 3;
  int outChannels = 3;
  int downscale() const { return 1 << (int(chMult.size()) - 1); }
};

// The VAE of SD 1.x and 2.x: 128 channels × (1,2,4,4), 2 ResnetBlocks, z 4 — 83,653,863 parameters.
VaeConfig sdVaeConfig();

Result<VaeConfig> inferVaeConfig(const WeightMap& w, const std::string& prefix, const std::string& sourceForErrors);

}  // namespace ns::sd
