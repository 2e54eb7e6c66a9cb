// BuiltinUNet: the built-in model's conditional UNet (see builtin_nets.h).
#include "core/model/nn/builtin_nets.h"

#include <algorithm>

namespace ns::nn {

BuiltinUNetImpl::BuiltinUNetImpl(const UNetConfig& c) : m_config(c) {
  const std::string err = c.validate();
  TORCH_CHECK(err.empty(), "BuiltinUNet config: ", err);
  const int base = c.baseChannels, embDim = 4 * base, levels = int(c.mults.size());
  auto hasAttn = [&c](int level) {
    return std::find(c.attnLevels.begin(), c.attnLevels.end(), level) != c.attnLevels.end();
  };
  m_tokenEmb = register_module("token_emb", torch::nn::Embedding(c.vocabSize, c.tokenDim));
  m_tokenPos = register_parameter("token_pos", torch::randn({c.maxTokens, c.tokenDim}) * 0.02);
  m_textBlock = register_module("text_block", TokenBlock(c.tokenDim, 0, c.heads));
  m_pooled = register_module("pooled_proj", torch::nn::Linear(c.tokenDim, embDim));
  m_time1 = register_module("time_mlp1", torch::nn::Linear(base, embDim));
  m_time2 = register_module("time_mlp2", torch::nn::Linear(embDim, embDim));
  m_convIn = register_module("conv_in", torch::nn::Conv2d(torch::nn::Conv2dOptions(c.inChannels, base, 3).padding(1)));

  // Encoder; skipCh records the channels of every tensor pushed on the skip stack.
  std::vector<int> skipCh{base};
  int ch = base;
  for (int l = 0; l < levels; ++l) {
    const int out = base * c.mults[l];
    for (int i = 0; i < c.resBlocks; ++i) {
      const std::string n = "enc" + std::to_string(l) + "_" + std::to_string(i);
      m_encRes.push_back(register_module(n + "_res", ResBlock(ch, out, embDim, c.groups)));
      ch = out;
      m_encAttn.push_back(hasAttn(l) ? register_module(n + "_attn", SpatialTransformer(ch, c.tokenDim, c.heads, c.groups))
                                     : SpatialTransformer(nullptr));
      skipCh.push_back(ch);
    }
    if (l + 1 < levels) {
      m_down.push_back(register_module("down" + std::to_string(l), Downsample(ch, ch)));
      skipCh.push_back(ch);
    }
  }
  m_midRes1 = register_module("mid_res1", ResBlock(ch, ch, embDim, c.groups));
  m_midAttn = register_module("mid_attn", SpatialTransformer(ch, c.tokenDim, c.heads, c.groups));
  m_midRes2 = register_module("mid_res2", ResBlock(ch, ch, embDim, c.groups));
  // Decoder: resBlocks + 1 blocks per level, each consuming one skip.
  for (int l = levels - 1; l >= 0; --l) {
    const int out = base * c.mults[l];
    for (int i = 0; i <= c.resBlocks; ++i) {
      const std::string n = "dec" + std::to_string(l) + "_" + std::to_string(i);
      const int skip = skipCh.back();
      skipCh.pop_back();
      m_decRes.push_back(register_module(n + "_res", ResBlock(ch + skip, out, embDim, c.groups)));
      ch = out;
      m_decAttn.push_back(hasAttn(l) ? register_module(n + "_attn", SpatialTransformer(ch, c.tokenDim, c.heads, c.groups))
                                     : SpatialTransformer(nullptr));
    }
    if (l > 0) m_up.push_back(register_module("up" + std::to_string(l), Upsample(ch, ch)));
  }
  m_normOut = register_module("norm_out", torch::nn::GroupNorm(c.groups, ch));
  m_convOut = register_module("conv_out", torch::nn::Conv2d(torch::nn::Conv2dOptions(ch, c.inChannels, 3).padding(1)));
  // Zero-initialised output: the untrained net predicts ε̂ = 0, which makes early training stable.
  torch::NoGradGuard noGrad;
  m_convOut->weight.zero_();
  m_convOut->bias.zero_();
}

torch::Tensor BuiltinUNetImpl::encodeText(const torch::Tensor& tokens, torch::Tensor* pooled) {
  const int64_t len = tokens.size(1);
  auto ctx = m_tokenEmb(tokens) + m_tokenPos.slice(0, 0, len).unsqueeze(0);
  ctx = m_textBlock(ctx);
  // Mean over real (non-padding) tokens; an all-padding row pools to 0, so the unconditional
  // prompt adds only the projection's bias.
  auto mask = tokens.ne(0).to(ctx.scalar_type()).unsqueeze(-1);
  *pooled = (ctx * mask).sum(1) / mask.sum(1).clamp_min(1.0);
  return ctx;
}

torch::Tensor BuiltinUNetImpl::forward(torch::Tensor x, torch::Tensor t, torch::Tensor tokens, const SiteHook& atSite) {
  const auto& c = m_config;
  TORCH_CHECK(x.dim() == 4 && x.size(1) == c.inChannels, "BuiltinUNet: x must be [B,", c.inChannels,
              ",H,W], got ", x.sizes());
  const int64_t b = x.size(0);
  const int64_t mult = int64_t(1) << (c.mults.size() - 1);
  TORCH_CHECK(x.size(2) % mult == 0 && x.size(3) % mult == 0, "BuiltinUNet: H and W must be multiples of ", mult,
              ", got ", x.sizes());
  TORCH_CHECK(tokens.dim() == 2 && tokens.size(0) == b && tokens.size(1) <= c.maxTokens,
              "BuiltinUNet: tokens must be [B,L<=", c.maxTokens, "], got ", tokens.sizes(), " for batch ", b);
  if (t.dim() == 0 || (t.numel() == 1 && b > 1)) t = t.reshape({1}).expand({b});
  TORCH_CHECK(t.dim() == 1 && t.size(0) == b, "BuiltinUNet: t must be [B], got ", t.sizes());

  torch::Tensor pooled;
  auto ctx = encodeText(tokens.to(torch::kLong), &pooled);
  auto emb = m_time2(torch::silu(m_time1(timestepEmbedding(t, c.baseChannels).to(x.scalar_type()))));
  emb = emb + m_pooled(pooled);

  using Part = ns::sd::UnetSite::Part;
  auto site = [&atSite](Part part, int block, int index, const torch::Tensor& hidden) {
    return atSite ? atSite(ns::sd::UnetSite{part, block, index}, hidden) : hidden;
  };
  auto h = m_convIn(x);
  std::vector<torch::Tensor> skips{h};
  size_t k = 0;
  const int levels = int(c.mults.size());
  for (int l = 0; l < levels; ++l) {
    for (int i = 0; i < c.resBlocks; ++i, ++k) {
      h = m_encRes[k](h, emb);
      if (m_encAttn[k]) h = m_encAttn[k](h, ctx);
      h = site(Part::Down, l, i, h);  // the skip carries the temporally mixed state, as AnimateDiff's
      skips.push_back(h);
    }
    if (l + 1 < levels) {
      h = m_down[size_t(l)](h);
      skips.push_back(h);
    }
  }
  h = m_midRes2(site(Part::Mid, 0, 0, m_midAttn(m_midRes1(h, emb), ctx)), emb);
  k = 0;
  size_t u = 0;
  for (int l = levels - 1; l >= 0; --l) {
    for (int i = 0; i <= c.resBlocks; ++i, ++k) {
      h = m_decRes[k](torch::cat({h, skips.back()}, 1), emb);
      skips.pop_back();
      if (m_decAttn[k]) h = m_decAttn[k](h, ctx);
      h = site(Part::Up, levels - 1 - l, i, h);
    }
    if (l > 0) h = m_up[u++](h);
  }
  return m_convOut(torch::silu(m_normOut(h)));
}

}  // namespace ns::nn
