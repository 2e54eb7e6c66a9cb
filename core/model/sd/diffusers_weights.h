#pragma once
// The weight files of one part of a diffusers folder (unet/, vae/, text_encoder/): which file(s)
// to read, and the one function that reads them.
//
// Choice, in order (preferFp16 swaps each full/fp16 pair):
//   <base>.safetensors, <base>.fp16.safetensors,
//   <base>.safetensors.index.json, <base>.fp16.safetensors.index.json (sharded: the index's
//   "weight_map" names each tensor's shard; shards must sit in the same folder)
// where <base> is "diffusion_pytorch_model" (unet, vae) or "model" (text_encoder).
//   then PyTorch pickles: <base>.bin, <base>.fp16.bin (text_encoder: transformers' pytorch_model.bin
//   too), read by the restricted torch.save reader (core/model/checkpoint/torch_checkpoint.h), which
//   never runs pickle code. Sharded pickles (<base>.bin.index.json) are refused with a message
//   saying to convert them. A part with no weights at all is an error naming the folder and the
//   file expected.

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/sd/weight_map.h"
#include "core/util/result.h"

namespace ns::sd {

struct DiffusersWeightFiles {
  std::vector<std::string> files;  // absolute-or-as-given paths of the files to read (shards in index order)
  std::string shown;               // what messages name: "unet/diffusion_pytorch_model.safetensors"
  std::string index;               // the .index.json path when sharded, else empty
  bool pickle = false;             // a torch.save file (.bin), not safetensors
  int64_t bytes = 0;               // the files' total size
};

// `part` is the subfolder ("unet"), `base` the file stem ("diffusion_pytorch_model").
Result<DiffusersWeightFiles> findDiffusersWeights(const std::string& dir, const std::string& part,
                                                  const std::string& base, bool preferFp16);

// Reads every tensor of the files, as stored (no dtype conversion). For a sharded part, every name
// in the index must be in the shard it names, and no name may be in two shards.
Result<WeightMap> readDiffusersWeights(const DiffusersWeightFiles& files);

}  // namespace ns::sd
