#include "core/model/nn/blocks.h"

#include <cmath>

namespace ns::nn {

namespace F = torch::nn::functional;

torch::Tensor timestepEmbedding(const torch::Tensor& t, int dim) {
  const int half = dim / 2;
  auto opts = torch::TensorOptions().dtype(torch::kFloat).device(t.device());
  auto freqs = torch::exp(torch::arange(half, opts) * (-std::log(10000.0) / half));
  auto args = t.to(torch::kFloat).unsqueeze(1) * freqs.unsqueeze(0);
  auto emb = torch::cat({torch::cos(args), torch::sin(args)}, 1);
  if (dim % 2) emb = F::pad(emb, F::PadFuncOptions({0, 1}));
  return emb;
}

ResBlockImpl::ResBlockImpl(int in, int out, int embDim, int groups) {
  m_norm1 = register_module("norm1", torch::nn::GroupNorm(groups, in));
  m_conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)));
  m_norm2 = register_module("norm2", torch::nn::GroupNorm(groups, out));
  m_conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(out, out, 3).padding(1)));
  if (embDim > 0) m_emb = register_module("emb", torch::nn::Linear(embDim, out));
  if (in != out) m_skip = register_module("skip", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1)));
}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& emb) {
  auto h = m_conv1(torch::silu(m_norm1(x)));
  if (m_emb) h = h + m_emb(torch::silu(emb)).unsqueeze(-1).unsqueeze(-1);
  h = m_conv2(torch::silu(m_norm2(h)));
  return (m_skip ? m_skip(x) : x) + h;
}

AttentionImpl::AttentionImpl(int queryDim, int contextDim, int heads) : m_heads(heads) {
  m_q = register_module("q", torch::nn::Linear(torch::nn::LinearOptions(queryDim, queryDim).bias(false)));
  m_k = register_module("k", torch::nn::Linear(torch::nn::LinearOptions(contextDim, queryDim).bias(false)));
  m_v = register_module("v", torch::nn::Linear(torch::nn::LinearOptions(contextDim, queryDim).bias(false)));
  m_out = register_module("out", torch::nn::Linear(queryDim, queryDim));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context) {
  const int64_t b = x.size(0), n = x.size(1), c = x.size(2), m = context.size(1);
  const int64_t dh = c / m_heads;
  // [B,N,C] -> [B,heads,N,dh]; plain matmul + softmax (no fused attention in LibTorch 1.13).
  auto q = m_q(x).view({b, n, m_heads, dh}).transpose(1, 2);
  auto k = m_k(context).view({b, m, m_heads, dh}).transpose(1, 2);
  auto v = m_v(context).view({b, m, m_heads, dh}).transpose(1, 2);
  auto w = torch::softmax(torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(double(dh))), -1);
  auto o = torch::matmul(w, v).transpose(1, 2).reshape({b, n, c});
  return m_out(o);
}

TokenBlockImpl::TokenBlockImpl(int dim, int contextDim, int heads) {
  m_ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  m_self = register_module("self_attn", Attention(dim, dim, heads));
  if (contextDim > 0) {
    m_ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
    m_cross = register_module("cross_attn", Attention(dim, contextDim, heads));
  }
  m_ln3 = register_module("ln3", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  m_ff1 = register_module("ff1", torch::nn::Linear(dim, 4 * dim));
  m_ff2 = register_module("ff2", torch::nn::Linear(4 * dim, dim));
}

torch::Tensor TokenBlockImpl::forward(torch::Tensor h, const torch::Tensor& context) {
  auto n = m_ln1(h);
  h = h + m_self(n, n);
  if (m_cross) h = h + m_cross(m_ln2(h), context);
  return h + m_ff2(torch::gelu(m_ff1(m_ln3(h))));
}

SpatialTransformerImpl::SpatialTransformerImpl(int channels, int contextDim, int heads, int groups) {
  m_norm = register_module("norm", torch::nn::GroupNorm(groups, channels));
  m_in = register_module("proj_in", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 1)));
  m_block = register_module("block", TokenBlock(channels, contextDim, heads));
  m_out = register_module("proj_out", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 1)));
}

torch::Tensor SpatialTransformerImpl::forward(const torch::Tensor& x, const torch::Tensor& context) {
  const int64_t b = x.size(0), c = x.size(1), hh = x.size(2), ww = x.size(3);
  auto h = m_in(m_norm(x)).flatten(2).transpose(1, 2);  // [B,HW,C]
  h = m_block(h, context);
  h = h.transpose(1, 2).reshape({b, c, hh, ww});
  return x + m_out(h);
}

DownsampleImpl::DownsampleImpl(int in, int out) {
  m_conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(2).padding(1)));
}

torch::Tensor DownsampleImpl::forward(const torch::Tensor& x) { return m_conv(x); }

UpsampleImpl::UpsampleImpl(int in, int out) {
  m_conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)));
}

torch::Tensor UpsampleImpl::forward(const torch::Tensor& x) {
  auto up = F::interpolate(x, F::InterpolateFuncOptions()
                                  .scale_factor(std::vector<double>{2.0, 2.0})
                                  .mode(torch::kNearest));
  return m_conv(up);
}

}  // namespace ns::nn
