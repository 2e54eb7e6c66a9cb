#pragma once
// The diffusers <-> original LDM name table of Stable Diffusion's VAE (diffusers AutoencoderKL <->
// ldm.models.autoencoder.AutoencoderKL), for the level count and ResBlocks per level the folder's
// vae/config.json states. Names are without prefixes ("first_stage_model." is the caller's).
// With n = levels, P = layers_per_block:
//
//   encoder.down_blocks.i.resnets.j (j < P)     -> encoder.down.i.block.j
//   encoder.down_blocks.i.downsamplers.0.conv   -> encoder.down.i.downsample.conv      (i < n-1)
//   decoder.up_blocks.i.resnets.j (j <= P)      -> decoder.up.(n-1-i).block.j          (reversed!)
//   decoder.up_blocks.i.upsamplers.0.conv       -> decoder.up.(n-1-i).upsample.conv    (i < n-1)
//   {encoder,decoder}.mid_block.resnets.0 / 1   -> {encoder,decoder}.mid.block_1 / block_2
//   {encoder,decoder}.mid_block.attentions.0.{group_norm, to_q|query, to_k|key, to_v|value, to_out.0|proj_attn}
//                                               -> {encoder,decoder}.mid.attn_1.{norm, q, k, v, proj_out}
//   {encoder,decoder}.conv_in / conv_out / conv_norm_out -> conv_in / conv_out / norm_out
//   quant_conv, post_quant_conv                  -> unchanged
//   inside resnets: norm1, conv1, norm2, conv2 unchanged; conv_shortcut -> nin_shortcut
// diffusers stores the attention's q/k/v/proj_out weights as Linear [C,C]; LDM as 1x1 convs
// [C,C,1,1]: vaeWeightIsConv1x1 tells the caller which tensors to reshape. The older diffusers names
// (query/key/value/proj_attn) map too; the inverse produces the current ones (to_q ...).

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "core/util/result.h"

namespace ns::sd {

struct DiffusersVaeLayout {
  int levels = 0;          // block_out_channels count
  int layersPerBlock = 0;  // encoder ResBlocks per level (decoder: one more)
  bool midAttention = true;  // mid_block_add_attention
};

// Reads the layout from a vae/config.json; errors name `file` and the field.
Result<DiffusersVaeLayout> vaeLayoutFromConfig(const nlohmann::json& config, const std::string& file);

std::optional<std::string> diffusersVaeToLdm(const std::string& name, const DiffusersVaeLayout& layout);
std::optional<std::string> ldmVaeToDiffusers(const std::string& name, const DiffusersVaeLayout& layout);

// True for the LDM names whose tensor is a 1x1 conv in LDM but a Linear in diffusers
// ({encoder,decoder}.mid.attn_1.{q,k,v,proj_out}.weight).
bool vaeWeightIsConv1x1(const std::string& ldmName);

}  // namespace ns::sd
