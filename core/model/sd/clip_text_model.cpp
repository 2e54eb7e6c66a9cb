#include "core/model/sd/clip_text_model.h"

#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include <limits>
#include <vector>

#include "core/model/module_weights.h"
#include "core/model/sd/sd_attention.h"

namespace ns::sd {

namespace {

constexpr double kLayerNormEps = 1e-5;  // CLIP's LayerNorms (HF layer_norm_eps, torch default)

std::shared_ptr<torch::nn::Module> child(torch::nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

// Registers weight [rows,cols] (or [rows] when cols == 0) on a fresh child module; parameters are
// created uninitialised: loadModuleState overwrites every one, and initialising 123 M random values
// first would only cost time.
struct Affine {
  at::Tensor weight, bias;
};
Affine affine(torch::nn::Module& parent, const std::string& name, at::Tensor weight, at::Tensor bias) {
  auto m = child(parent, name);
  Affine a;
  a.weight = m->register_parameter("weight", std::move(weight), /*requires_grad=*/false);
  if (bias.defined()) a.bias = m->register_parameter("bias", std::move(bias), /*requires_grad=*/false);
  return a;
}
at::Tensor empty(at::IntArrayRef shape) { return at::empty(shape, at::TensorOptions().dtype(at::kFloat)); }

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

}  // namespace

struct ClipTextModel::Impl {
  struct Block {
    Affine ln1, ln2, out, fc1, fc2;
    at::Tensor qkvWeight, qkvBias;  // [3D,D], [3D]: q/k/v_proj parameters are row views of these
  };
  ClipTextConfig cfg;
  std::string source;
  std::shared_ptr<torch::nn::Module> root = std::make_shared<torch::nn::Module>();
  at::Tensor tokenEmbedding, positionEmbedding;
  std::vector<Block> blocks;
  Affine finalNorm;

  Impl(const ClipTextConfig& c, std::string src) : cfg(c), source(std::move(src)) {
    const int64_t d = cfg.width, ff = cfg.mlpWidth;
    auto text = child(*root, "text_model");
    auto emb = child(*text, "embeddings");
    tokenEmbedding = affine(*emb, "token_embedding", empty({cfg.vocabSize, d}), {}).weight;
    positionEmbedding = affine(*emb, "position_embedding", empty({cfg.maxPositions, d}), {}).weight;
    auto layers = child(*child(*text, "encoder"), "layers");
    for (int64_t i = 0; i < cfg.usedLayers(); ++i) {
      auto l = child(*layers, std::to_string(i));
      Block b;
      b.ln1 = affine(*l, "layer_norm1", empty({d}), empty({d}));
      // One [3D,D] matmul instead of three: q, k and v are registered as views of the fused tensor,
      // so loading them by their HF names fills it.
      b.qkvWeight = empty({3 * d, d});
      b.qkvBias = empty({3 * d});
      auto attn = child(*l, "self_attn");
      const char* names[3] = {"q_proj", "k_proj", "v_proj"};
      for (int k = 0; k < 3; ++k)
        affine(*attn, names[k], b.qkvWeight.narrow(0, k * d, d), b.qkvBias.narrow(0, k * d, d));
      b.out = affine(*attn, "out_proj", empty({d, d}), empty({d}));
      b.ln2 = affine(*l, "layer_norm2", empty({d}), empty({d}));
      auto mlp = child(*l, "mlp");
      b.fc1 = affine(*mlp, "fc1", empty({ff, d}), empty({ff}));
      b.fc2 = affine(*mlp, "fc2", empty({d, ff}), empty({d}));
      blocks.push_back(std::move(b));
    }
    finalNorm = affine(*text, "final_layer_norm", empty({d}), empty({d}));
  }
};

ClipTextModel::ClipTextModel(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ClipTextModel::~ClipTextModel() = default;

Result<std::shared_ptr<ClipTextModel>> ClipTextModel::fromWeights(const WeightMap& w, const ClipTextConfig& config,
                                                                  const std::string& src) {
  ClipTextConfig c = config;
  if (c.mlpWidth == 0) c.mlpWidth = 4 * c.width;
  auto bad = [&](const std::string& why) { return makeError(ErrorKind::Model, src + ": text encoder " + why); };
  if (c.activation == ClipTextConfig::Activation::Invalid)
    return bad("activation not set (quick_gelu for SD 1.x, gelu for SD 2.x)");
  if (c.vocabSize <= 0 || c.width <= 0 || c.maxPositions <= 0 || c.mlpWidth <= 0)
    return bad("has an empty dimension (vocab " + std::to_string(c.vocabSize) + ", width " + std::to_string(c.width) +
               ", positions " + std::to_string(c.maxPositions) + ")");
  if (c.heads <= 0 || c.width % c.heads != 0)
    return bad("width " + std::to_string(c.width) + " does not split into " + std::to_string(c.heads) + " heads");
  if (c.skipLastLayers < 0 || c.usedLayers() < 1)
    return bad("has " + std::to_string(c.layers) + " blocks, cannot skip the last " + std::to_string(c.skipLastLayers));

  // Only what runs is loaded: position_ids is a constant HF stores as a buffer, and skipped blocks
  // never run. Anything else left over is reported by loadModuleState.
  WeightMap used;
  const std::string layers = "text_model.encoder.layers.";
  for (const auto& [name, t] : w) {
    if (name == "text_model.embeddings.position_ids") continue;
    if (startsWith(name, layers)) {
      const std::string num = name.substr(layers.size(), name.find('.', layers.size()) - layers.size());
      if (num.find_first_not_of("0123456789") == std::string::npos && !num.empty() && std::stoll(num) >= c.usedLayers())
        continue;
    }
    used.emplace(name, t);
  }
  try {
    torch::NoGradGuard noGrad;
    auto impl = std::make_unique<Impl>(c, src);
    auto loaded = loadModuleState(*impl->root, used, "", src);
    if (!loaded) return loaded.error();
    if (c.skipLastLayers > 0)
      spdlog::info("{}: text encoder runs {} of {} blocks (skips the last {})", src, c.usedLayers(), c.layers,
                   c.skipLastLayers);
    return std::shared_ptr<ClipTextModel>(new ClipTextModel(std::move(impl)));
  } catch (const c10::Error& e) {
    return bad(std::string("could not be built: ") + e.what_without_backtrace());
  }
}

at::Tensor ClipTextModel::forward(const at::Tensor& idsIn) const {
  const Impl& m = *m_impl;
  const ClipTextConfig& c = m.cfg;
  TORCH_CHECK(idsIn.dim() == 2 && idsIn.scalar_type() == at::kLong, m.source, ": text ids must be [B,L] int64, got ",
              idsIn.sizes(), " ", idsIn.scalar_type());
  const int64_t len = idsIn.size(1);
  TORCH_CHECK(len >= 1 && len <= c.maxPositions, m.source, ": ", len, " text tokens, the encoder takes 1..",
              c.maxPositions);
  c10::InferenceMode guard;
  const at::Tensor ids = idsIn.cpu();
  if (ids.numel() > 0) {
    const int64_t lo = ids.min().item<int64_t>(), hi = ids.max().item<int64_t>();
    TORCH_CHECK(lo >= 0 && hi < c.vocabSize, m.source, ": token id ", lo < 0 ? lo : hi, " is outside the vocabulary 0..",
                c.vocabSize - 1);
  }
  const int64_t d = c.width;
  at::Tensor x = at::embedding(m.tokenEmbedding, ids) + m.positionEmbedding.narrow(0, 0, len);
  // Causal: token i attends to tokens 0..i only.
  const at::Tensor mask =
      at::full({len, len}, -std::numeric_limits<float>::infinity(), at::TensorOptions().dtype(at::kFloat)).triu(1);
  const bool quick = c.activation == ClipTextConfig::Activation::QuickGelu;
  for (const Impl::Block& b : m.blocks) {
    at::Tensor h = at::layer_norm(x, {d}, b.ln1.weight, b.ln1.bias, kLayerNormEps);
    const std::vector<at::Tensor> qkv = at::linear(h, b.qkvWeight, b.qkvBias).chunk(3, -1);
    h = multiHeadAttention(qkv[0], qkv[1], qkv[2], c.heads, mask);
    x.add_(at::linear(h, b.out.weight, b.out.bias));
    h = at::linear(at::layer_norm(x, {d}, b.ln2.weight, b.ln2.bias, kLayerNormEps), b.fc1.weight, b.fc1.bias);
    h = quick ? h.mul_(at::sigmoid(h * 1.702)) : at::gelu(h);
    x.add_(at::linear(h, b.fc2.weight, b.fc2.bias));
  }
  return at::layer_norm(x, {d}, m.finalNorm.weight, m.finalNorm.bias, kLayerNormEps).contiguous();
}

int64_t ClipTextModel::parameterCount() const {
  int64_t n = 0;
  for (const auto& p : m_impl->root->named_parameters(true)) n += p.value().numel();
  return n;
}

at::Tensor ClipTextModel::parameter(const std::string& hfName) const {
  for (const auto& p : m_impl->root->named_parameters(true))
    if (p.key() == hfName) return p.value();
  return {};
}

const ClipTextConfig& ClipTextModel::config() const { return m_impl->cfg; }
const std::string& ClipTextModel::source() const { return m_impl->source; }

}  // namespace ns::sd
