#pragma once
// Building blocks shared by the built-in networks (torch::nn). Internal to core/model/nn: include
// builtin_nets.h instead. Parameter names here become safetensors keys, so renaming a member
// breaks shipped weights.

#include <torch/torch.h>

namespace ns::nn {

// Sinusoidal embedding of integer timesteps t [B] -> [B, dim] (cos | sin halves, max period 10000).
torch::Tensor timestepEmbedding(const torch::Tensor& t, int dim);

// GroupNorm -> SiLU -> conv3x3 (+ time embedding) -> GroupNorm -> SiLU -> conv3x3, plus a 1×1 skip
// when the channel count changes. embDim 0: no time embedding (autoencoder).
class ResBlockImpl : public torch::nn::Module {
 public:
  ResBlockImpl(int in, int out, int embDim, int groups);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb = {});

 private:
  torch::nn::GroupNorm m_norm1{nullptr}, m_norm2{nullptr};
  torch::nn::Conv2d m_conv1{nullptr}, m_conv2{nullptr}, m_skip{nullptr};
  torch::nn::Linear m_emb{nullptr};
};
TORCH_MODULE(ResBlock);

// Multi-head attention: queries from x [B,N,C], keys/values from context [B,M,D].
class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int queryDim, int contextDim, int heads);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context);

 private:
  int m_heads;
  torch::nn::Linear m_q{nullptr}, m_k{nullptr}, m_v{nullptr}, m_out{nullptr};
};
TORCH_MODULE(Attention);

// Pre-norm transformer layer on a token sequence [B,N,C]: self-attention (+ optional
// cross-attention to a context [B,M,D]) and a GELU feed-forward, each residual.
class TokenBlockImpl : public torch::nn::Module {
 public:
  TokenBlockImpl(int dim, int contextDim /*0: no cross-attention*/, int heads);
  torch::Tensor forward(torch::Tensor h, const torch::Tensor& context = {});

 private:
  torch::nn::LayerNorm m_ln1{nullptr}, m_ln2{nullptr}, m_ln3{nullptr};
  Attention m_self{nullptr}, m_cross{nullptr};
  torch::nn::Linear m_ff1{nullptr}, m_ff2{nullptr};
};
TORCH_MODULE(TokenBlock);

// Spatial transformer: GroupNorm -> 1×1 in -> TokenBlock over the H·W positions (cross-attending
// to the text tokens) -> 1×1 out, residual around the whole block.
class SpatialTransformerImpl : public torch::nn::Module {
 public:
  SpatialTransformerImpl(int channels, int contextDim, int heads, int groups);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context);

 private:
  torch::nn::GroupNorm m_norm{nullptr};
  torch::nn::Conv2d m_in{nullptr}, m_out{nullptr};
  TokenBlock m_block{nullptr};
};
TORCH_MODULE(SpatialTransformer);

// Stride-2 3×3 convolution (halves H and W).
class DownsampleImpl : public torch::nn::Module {
 public:
  DownsampleImpl(int in, int out);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d m_conv{nullptr};
};
TORCH_MODULE(Downsample);

// Nearest ×2 upsampling then a 3×3 convolution.
class UpsampleImpl : public torch::nn::Module {
 public:
  UpsampleImpl(int in, int out);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d m_conv{nullptr};
};
TORCH_MODULE(Upsample);

}  // namespace ns::nn
