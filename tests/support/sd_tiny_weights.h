#pragma once
// Tiny random-weight Stable Diffusion parts of the real layouts, for tests that need a loadable
// checkpoint without the reference fixtures (tests/data/sd): the shapes of a UNet, VAE and CLIP
// text tower small enough to build in milliseconds. Shared by the core model tests and the
// window's SD tests. Include after tests/support/ns_test.h (ATen first).

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/sd/unet_config.h"
#include "core/model/sd/vae_config.h"
#include "core/model/sd/weight_map.h"

namespace sdtest {

// 32 channels × (1,2), one ResBlock per level, attention at both levels, context 32. SD 1.x form
// (conv proj, 2 heads everywhere) or SD 2.x form (linear proj, 16-wide heads: 2 then 4).
inline ns::sd::UnetConfig tinyUnetConfig(bool sd2 = false) {
  ns::sd::UnetConfig c;
  c.modelChannels = 32;
  c.channelMult = {1, 2};
  c.numResBlocks = 1;
  c.attnAtLevel = {true, true};
  c.headsAtLevel = sd2 ? std::vector<int>{2, 4} : std::vector<int>{2, 2};
  c.contextDim = 32;
  c.transformerDepth = 1;
  c.linearProj = sd2;
  return c;
}

// 32 channels × (1,2,2,2): downscale 8 like the real VAE.
inline ns::sd::VaeConfig tinyVaeConfig() {
  ns::sd::VaeConfig c;
  c.ch = 32;
  c.chMult = {1, 2, 2, 2};
  c.numResBlocks = 1;
  return c;
}

// Random CLIP text-tower weights in Hugging Face names ("text_model.*"): vocabulary v, width d,
// `layers` blocks, 77 positions, with non-default norms. Uses the global ATen generator.
inline ns::sd::WeightMap tinyClipTextWeights(int64_t v, int64_t d, int layers) {
  ns::sd::WeightMap w;
  auto r = [](std::vector<int64_t> s, double std = 0.2) { return at::randn(s) * std; };
  w["text_model.embeddings.token_embedding.weight"] = r({v, d});
  w["text_model.embeddings.position_embedding.weight"] = r({77, d});
  w["text_model.embeddings.position_ids"] = at::arange(77, at::kLong).unsqueeze(0);
  for (int l = 0; l < layers; ++l) {
    const std::string p = "text_model.encoder.layers." + std::to_string(l) + ".";
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
      w[p + "self_attn." + proj + ".weight"] = r({d, d});
      w[p + "self_attn." + proj + ".bias"] = r({d});
    }
    for (const char* ln : {"layer_norm1", "layer_norm2"}) {
      w[p + ln + ".weight"] = 1 + r({d}, 0.1);
      w[p + ln + ".bias"] = r({d}, 0.1);
    }
    w[p + "mlp.fc1.weight"] = r({4 * d, d});
    w[p + "mlp.fc1.bias"] = r({4 * d});
    w[p + "mlp.fc2.weight"] = r({d, 4 * d});
    w[p + "mlp.fc2.bias"] = r({d});
  }
  w["text_model.final_layer_norm.weight"] = 1 + r({d}, 0.1);
  w["text_model.final_layer_norm.bias"] = r({d}, 0.1);
  return w;
}

}  // namespace sdtest
