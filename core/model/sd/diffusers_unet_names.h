#pragma once
// The diffusers <-> original LDM name table of a Stable Diffusion 1.x/2.x UNet
// (diffusers UNet2DConditionModel <-> ldm.modules.diffusionmodules.openaimodel.UNetModel), for any
// level count, ResBlocks per level and attention placement the folder's unet/config.json states.
// Names are without prefixes ("model.diffusion_model." is the caller's). With P = layers_per_block:
//
//   time_embedding.linear_1 / linear_2        -> time_embed.0 / time_embed.2
//   conv_in / conv_norm_out / conv_out         -> input_blocks.0.0 / out.0 / out.2
//   down_blocks.i.resnets.j                    -> input_blocks.(1 + i(P+1) + j).0
//   down_blocks.i.attentions.j                 -> input_blocks.(1 + i(P+1) + j).1
//   down_blocks.i.downsamplers.0.conv          -> input_blocks.((i+1)(P+1)).0.op
//   mid_block.resnets.0 / attentions.0 / resnets.1 -> middle_block.0 / 1 / 2
//   up_blocks.i.resnets.j (j <= P)             -> output_blocks.(i(P+1) + j).0
//   up_blocks.i.attentions.j                   -> output_blocks.(i(P+1) + j).1
//   up_blocks.i.upsamplers.0.conv              -> output_blocks.(i(P+1) + P).(2 if the block has attentions, else 1).conv
//   inside resnets: norm1, conv1, time_emb_proj, norm2, conv2, conv_shortcut
//                -> in_layers.0, in_layers.2, emb_layers.1, out_layers.0, out_layers.3, skip_connection
//   inside attentions (SpatialTransformer): the same names in both layouts (norm, proj_in, proj_out,
//   transformer_blocks.k.{norm1,norm2,norm3,attn1|attn2.{to_q,to_k,to_v,to_out.0},ff.net.0.proj,ff.net.2}).
// up_blocks are numbered deepest first in both layouts. Only names of that grammar, with indices the
// layout has, map; anything else (SDXL's add_embedding, an upscaler's class_embedding, a typo)
// returns nullopt and the caller refuses the folder naming the tensor.

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.h"

namespace ns::sd {

struct DiffusersUnetLayout {
  int levels = 0;                  // block_out_channels count
  int layersPerBlock = 0;          // ResBlocks per down block (up blocks have one more)
  std::vector<bool> downAttention;  // per down block: CrossAttnDownBlock2D (true) or DownBlock2D
  std::vector<bool> upAttention;    // per up block, deepest first: CrossAttnUpBlock2D or UpBlock2D
  bool midAttention = true;         // UNetMidBlock2DCrossAttn (true) or UNetMidBlock2D
};

// Reads the layout from a unet/config.json; errors name `file` and the field.
Result<DiffusersUnetLayout> unetLayoutFromConfig(const nlohmann::json& config, const std::string& file);

// diffusers name -> LDM name (both without prefix), or nullopt when the name is not in the table.
std::optional<std::string> diffusersUnetToLdm(const std::string& name, const DiffusersUnetLayout& layout);
// The inverse: LDM name -> diffusers name (used to check the table against real key lists).
std::optional<std::string> ldmUnetToDiffusers(const std::string& name, const DiffusersUnetLayout& layout);

}  // namespace ns::sd
