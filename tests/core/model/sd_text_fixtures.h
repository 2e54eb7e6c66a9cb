#pragma once
// Helpers shared by tst_sd_text.cpp and slow_sd_text.cpp: random CLIP text towers under Hugging Face
// names, the OpenCLIP layout of the same weights, and an independent fp64 forward to compare with.

#include <ATen/ATen.h>

#include <cmath>
#include <string>

#include "core/model/sd/clip_text_config.h"
#include "core/model/sd/weight_map.h"

namespace sdtext {

struct TowerShape {
  int64_t vocab = 40, width = 32, layers = 3, positions = 16, mlp = 128;
};

inline std::string block(int64_t i) { return "text_model.encoder.layers." + std::to_string(i) + "."; }

// Random weights (fp32 unless `dtype` says otherwise) with the scales of a trained tower: unit-ish
// LayerNorm gains, matrices scaled by 1/sqrt(fan_in), embeddings of size ~1, so every part matters.
inline ns::sd::WeightMap randomTower(const TowerShape& s, uint64_t seed, at::ScalarType dtype = at::kFloat) {
  at::manual_seed(seed);
  ns::sd::WeightMap w;
  auto mat = [](int64_t o, int64_t i) { return at::randn({o, i}) / std::sqrt(double(i)); };
  auto vec = [](int64_t n, double scale) { return at::randn({n}) * scale; };
  auto norm = [&](const std::string& p, int64_t d) {
    w[p + ".weight"] = 1.0 + vec(d, 0.2);
    w[p + ".bias"] = vec(d, 0.1);
  };
  auto lin = [&](const std::string& p, int64_t o, int64_t i) {
    w[p + ".weight"] = mat(o, i);
    w[p + ".bias"] = vec(o, 0.05);
  };
  w["text_model.embeddings.token_embedding.weight"] = at::randn({s.vocab, s.width});
  w["text_model.embeddings.position_embedding.weight"] = at::randn({s.positions, s.width}) * 0.5;
  for (int64_t i = 0; i < s.layers; ++i) {
    const std::string b = block(i);
    norm(b + "layer_norm1", s.width);
    for (const char* p : {"q_proj", "k_proj", "v_proj", "out_proj"}) lin(b + "self_attn." + p, s.width, s.width);
    norm(b + "layer_norm2", s.width);
    lin(b + "mlp.fc1", s.mlp, s.width);
    lin(b + "mlp.fc2", s.width, s.mlp);
  }
  norm("text_model.final_layer_norm", s.width);
  for (auto& [k, t] : w) t = t.to(dtype).contiguous();
  return w;
}

// The same tower in OpenCLIP's names (q/k/v packed into in_proj), with the tensors SD ignores.
inline ns::sd::WeightMap toOpenClip(const ns::sd::WeightMap& hf, int64_t layers) {
  ns::sd::WeightMap o;
  o["token_embedding.weight"] = hf.at("text_model.embeddings.token_embedding.weight");
  o["positional_embedding"] = hf.at("text_model.embeddings.position_embedding.weight");
  for (int64_t i = 0; i < layers; ++i) {
    const std::string b = block(i), r = "transformer.resblocks." + std::to_string(i) + ".";
    for (const char* wb : {"weight", "bias"}) {
      const std::string x = wb;
      o[r + "ln_1." + x] = hf.at(b + "layer_norm1." + x);
      o[r + "ln_2." + x] = hf.at(b + "layer_norm2." + x);
      o[r + "attn.in_proj_" + x] = at::cat({hf.at(b + "self_attn.q_proj." + x), hf.at(b + "self_attn.k_proj." + x),
                                            hf.at(b + "self_attn.v_proj." + x)});
      o[r + "attn.out_proj." + x] = hf.at(b + "self_attn.out_proj." + x);
      o[r + "mlp.c_fc." + x] = hf.at(b + "mlp.fc1." + x);
      o[r + "mlp.c_proj." + x] = hf.at(b + "mlp.fc2." + x);
    }
  }
  o["ln_final.weight"] = hf.at("text_model.final_layer_norm.weight");
  o["ln_final.bias"] = hf.at("text_model.final_layer_norm.bias");
  const int64_t d = o["token_embedding.weight"].size(1);
  o["text_projection"] = at::randn({d, d});
  o["logit_scale"] = at::ones({});
  return o;
}

// CLIP's text transformer written out in fp64, head by head, without the model's fused q/k/v or
// chunked attention: the test's independent account of what the tower computes.
inline at::Tensor referenceForward(const ns::sd::WeightMap& w, const ns::sd::ClipTextConfig& c, const at::Tensor& ids) {
  auto W = [&](const std::string& n) { return w.at(n).to(at::kDouble); };
  const int64_t b = ids.size(0), len = ids.size(1), d = c.width, h = c.heads, dh = d / h;
  auto ln = [&](const at::Tensor& x, const std::string& p) {
    const at::Tensor mean = x.mean(-1, true), var = (x - mean).pow(2).mean(-1, true);
    return (x - mean) / (var + 1e-5).sqrt() * W(p + ".weight") + W(p + ".bias");
  };
  auto lin = [&](const at::Tensor& x, const std::string& p) { return x.matmul(W(p + ".weight").t()) + W(p + ".bias"); };
  at::Tensor x = W("text_model.embeddings.token_embedding.weight").index_select(0, ids.flatten()).reshape({b, len, d}) +
                 W("text_model.embeddings.position_embedding.weight").slice(0, 0, len);
  const at::Tensor future = at::ones({len, len}, at::kBool).triu(1);
  for (int64_t i = 0; i < c.layers - c.skipLastLayers; ++i) {
    const std::string p = block(i);
    const at::Tensor y = ln(x, p + "layer_norm1");
    auto heads = [&](const at::Tensor& t) { return t.reshape({b, len, h, dh}).transpose(1, 2); };
    const at::Tensor q = heads(lin(y, p + "self_attn.q_proj")), k = heads(lin(y, p + "self_attn.k_proj")),
                     v = heads(lin(y, p + "self_attn.v_proj"));
    at::Tensor s = q.matmul(k.transpose(-1, -2)) / std::sqrt(double(dh));
    s = s.masked_fill(future, -INFINITY);
    const at::Tensor a = s.softmax(-1).matmul(v).transpose(1, 2).reshape({b, len, d});
    x = x + lin(a, p + "self_attn.out_proj");
    at::Tensor f = lin(ln(x, p + "layer_norm2"), p + "mlp.fc1");
    f = c.activation == ns::sd::ClipTextConfig::Activation::QuickGelu ? f * (1.0 / (1.0 + (-1.702 * f).exp()))
                                                                       : 0.5 * f * (1.0 + (f / std::sqrt(2.0)).erf());
    x = x + lin(f, p + "mlp.fc2");
  }
  return ln(x, "text_model.final_layer_norm");
}

// max |a-b| / max |b|
inline double relDiff(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor bd = b.to(at::kDouble);
  return (a.to(at::kDouble) - bd).abs().max().item<double>() / std::max(1e-30, bd.abs().max().item<double>());
}

}  // namespace sdtext
