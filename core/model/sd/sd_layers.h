#pragma once
// The few layers the SD networks are made of — Conv2d, Linear, GroupNorm, LayerNorm — with
// parameters that are allocated but NOT initialised: torch::nn's layers draw a Kaiming-uniform
// init in their constructors, which for SD 1.5's 1.07 billion values is tens of seconds of random
// numbers that loading overwrites at once. Here loading is one allocation and one converting copy
// per tensor; SdUnet/SdVae::createRandom initialise explicitly (initLikeTorch) for tests and
// benchmarks. Parameter names match torch::nn's ("weight", "bias"), so LDM names still apply.
// Internal to core/model/sd (includes torch/torch.h): only sd_unet.cpp and sd_vae.cpp include it.

#include <torch/torch.h>

namespace ns::sd::layers {

class ConvImpl : public torch::nn::Module {
 public:
  ConvImpl(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t padding = -1)
      : m_stride(stride), m_padding(padding < 0 ? k / 2 : padding) {
    weight = register_parameter("weight", torch::empty({out, in, k, k}));
    bias = register_parameter("bias", torch::empty({out}));
  }
  torch::Tensor forward(const torch::Tensor& x) { return at::conv2d(x, weight, bias, m_stride, m_padding); }
  torch::Tensor weight, bias;

 private:
  int64_t m_stride, m_padding;
};
TORCH_MODULE(Conv);

class LinearImpl : public torch::nn::Module {
 public:
  LinearImpl(int64_t in, int64_t out, bool withBias = true) {
    weight = register_parameter("weight", torch::empty({out, in}));
    if (withBias) bias = register_parameter("bias", torch::empty({out}));
  }
  torch::Tensor forward(const torch::Tensor& x) { return at::linear(x, weight, bias); }
  torch::Tensor weight, bias;
};
TORCH_MODULE(Linear);

class GroupNormImpl : public torch::nn::Module {
 public:
  GroupNormImpl(int64_t groups, int64_t channels, double eps) : m_groups(groups), m_eps(eps) {
    weight = register_parameter("weight", torch::empty({channels}));
    bias = register_parameter("bias", torch::empty({channels}));
  }
  torch::Tensor forward(const torch::Tensor& x) { return at::group_norm(x, m_groups, weight, bias, m_eps); }
  torch::Tensor weight, bias;

 private:
  int64_t m_groups;
  double m_eps;
};
TORCH_MODULE(GroupNorm);

class LayerNormImpl : public torch::nn::Module {
 public:
  LayerNormImpl(int64_t dim, double eps) : m_dim(dim), m_eps(eps) {
    weight = register_parameter("weight", torch::empty({dim}));
    bias = register_parameter("bias", torch::empty({dim}));
  }
  torch::Tensor forward(const torch::Tensor& x) { return at::layer_norm(x, {m_dim}, weight, bias, m_eps); }
  torch::Tensor weight, bias;

 private:
  int64_t m_dim;
  double m_eps;
};
TORCH_MODULE(LayerNorm);

// PyTorch's default initialisation, for random-weight networks: weights and biases uniform in
// ±1/sqrt(fan_in) (kaiming_uniform with a = sqrt(5)), norms weight 1 and bias 0.
inline void initLikeTorch(torch::nn::Module& m) {
  torch::NoGradGuard noGrad;
  for (auto& sub : m.modules(/*include_self=*/true)) {
    auto* conv = sub->as<ConvImpl>();
    auto* lin = sub->as<LinearImpl>();
    if (conv || lin) {
      torch::Tensor& w = conv ? conv->weight : lin->weight;
      const double bound = 1.0 / std::sqrt(double(w.numel() / w.size(0)));
      w.uniform_(-bound, bound);
      torch::Tensor& b = conv ? conv->bias : lin->bias;
      if (b.defined()) b.uniform_(-bound, bound);
    } else if (auto* gn = sub->as<GroupNormImpl>()) {
      gn->weight.fill_(1);
      gn->bias.zero_();
    } else if (auto* ln = sub->as<LayerNormImpl>()) {
      ln->weight.fill_(1);
      ln->bias.zero_();
    }
  }
}

}  // namespace ns::sd::layers
