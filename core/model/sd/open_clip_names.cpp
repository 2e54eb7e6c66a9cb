#include "core/model/sd/open_clip_names.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

namespace ns::sd {

namespace {

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool endsWith(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

// Per-block renames of the parts that map one to one (".weight"/".bias" follow unchanged).
const std::vector<std::pair<std::string, std::string>> kBlockParts = {
    {"ln_1.", "layer_norm1."},
    {"ln_2.", "layer_norm2."},
    {"attn.out_proj.", "self_attn.out_proj."},
    {"mlp.c_fc.", "mlp.fc1."},
    {"mlp.c_proj.", "mlp.fc2."},
};

}  // namespace

Result<WeightMap> openClipToHf(const WeightMap& in, const std::string& src) {
  WeightMap out;
  const std::string blocks = "transformer.resblocks.";
  for (const auto& [name, t] : in) {
    if (name == "token_embedding.weight") {
      out["text_model.embeddings.token_embedding.weight"] = t;
    } else if (name == "positional_embedding") {
      out["text_model.embeddings.position_embedding.weight"] = t;
    } else if (startsWith(name, "ln_final.")) {
      out["text_model.final_layer_norm." + name.substr(9)] = t;
    } else if (name == "text_projection" || name == "logit_scale" || name == "attn_mask" || startsWith(name, "visual.")) {
      spdlog::debug("{}: '{}' is not part of the text tower SD uses; skipped", src, name);
    } else if (startsWith(name, blocks)) {
      const size_t dot = name.find('.', blocks.size());
      const std::string num = name.substr(blocks.size(), dot == std::string::npos ? std::string::npos : dot - blocks.size());
      if (dot == std::string::npos || num.empty() || num.find_first_not_of("0123456789") != std::string::npos)
        return makeError(ErrorKind::Model, src + ": tensor '" + name + "' has no block number");
      const std::string rest = name.substr(dot + 1);
      const std::string hf = "text_model.encoder.layers." + num + ".";
      bool done = false;
      for (const auto& [from, to] : kBlockParts) {
        if (startsWith(rest, from)) {
          out[hf + to + rest.substr(from.size())] = t;
          done = true;
          break;
        }
      }
      if (done) continue;
      if (rest == "attn.in_proj_weight" || rest == "attn.in_proj_bias") {
        // nn.MultiheadAttention packs q, k and v as consecutive row blocks.
        const bool weight = endsWith(rest, "weight");
        if (t.dim() != (weight ? 2 : 1) || t.size(0) % 3 != 0 || (weight && t.size(0) != 3 * t.size(1)))
          return makeError(ErrorKind::Model, src + ": tensor '" + name + "' has shape " + c10::str(t.sizes()) +
                                                 (weight ? ", expected [3·D, D]" : ", expected [3·D]"));
        const int64_t d = t.size(0) / 3;
        const char* kinds[3] = {"q_proj.", "k_proj.", "v_proj."};
        for (int i = 0; i < 3; ++i) out[hf + "self_attn." + kinds[i] + (weight ? "weight" : "bias")] = t.narrow(0, i * d, d);
        continue;
      }
      return makeError(ErrorKind::Model, src + ": tensor '" + name + "' is not part of an OpenCLIP text block");
    } else {
      return makeError(ErrorKind::Model, src + ": tensor '" + name + "' is not an OpenCLIP text-tower tensor");
    }
  }
  return out;
}

}  // namespace ns::sd
