#pragma once
// openClipToHf: renames an OpenCLIP text tower's tensors to Hugging Face CLIPTextModel names, the
// only layout ClipTextModel loads. SD 2.x single files store the tower under "cond_stage_model.model."
// (the caller strips that prefix). openai CLIP's own checkpoints use the same names for the text
// tower, so SD 1.x weights in openai's layout convert the same way.
//
//   token_embedding.weight                  -> text_model.embeddings.token_embedding.weight
//   positional_embedding                    -> text_model.embeddings.position_embedding.weight
//   transformer.resblocks.N.ln_1.*          -> text_model.encoder.layers.N.layer_norm1.*
//   transformer.resblocks.N.attn.in_proj_weight [3D,D] / in_proj_bias [3D]
//                                           -> ...self_attn.{q,k,v}_proj.{weight,bias} (rows 0..D, D..2D, 2D..3D)
//   transformer.resblocks.N.attn.out_proj.* -> ...self_attn.out_proj.*
//   transformer.resblocks.N.ln_2.*          -> ...layer_norm2.*
//   transformer.resblocks.N.mlp.c_fc.*      -> ...mlp.fc1.*
//   transformer.resblocks.N.mlp.c_proj.*    -> ...mlp.fc2.*
//   ln_final.*                              -> text_model.final_layer_norm.*
// Dropped (SD never uses them): text_projection, logit_scale, attn_mask, and any visual.* tower.
// Any other name is an error naming it, as is an in_proj tensor whose rows do not split in three.
// The q/k/v tensors are views of the in_proj tensor (no copy; they keep it alive).

#include <string>

#include "core/model/sd/weight_map.h"
#include "core/util/result.h"

namespace ns::sd {

Result<WeightMap> openClipToHf(const WeightMap& openClip, const std::string& source);

}  // namespace ns::sd
