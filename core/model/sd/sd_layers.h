#pragma once
// The few layers the SD networks are made of — Conv2d, Linear, GroupNorm, LayerNorm — with
// parameters that are allocated but NOT initialised: torch::nn's layers draw a Kaiming-uniform
// init in their constructors, which for SD 1.5's 1.07 billion values is tens of seconds of random
// numbers that loading overwrites at once. Here loading is one allocation and one converting copy
// per tensor; SdUnet/SdVae::createRandom initialise explicitly (initLikeTorch) for tests and
// benchmarks. Parameter names match torch::nn's ("weight", "bias"), so LDM names still apply.
// Internal to core/model/sd (includes torch/torch.h): only sd_unet.cpp and sd_vae.cpp include it.

#include <sys/mman.h>
#include <torch/torch.h>

#include <memory>

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

// Puts every parameter of `m` (still uninitialised) into one anonymous mapping advised for
// transparent huge pages. Why: on the VMs measured here first-touching fresh 4 KiB pages costs
// about 5 ns a byte — 20 s of page faults for SD 1.5's 4.3 GB of fp32 weights, 50x the time to read
// the file — and 2 MiB pages cut that about 3x. Falls back to the parameters as they are if the
// mapping fails. The mapping lives as long as any parameter views it.
inline void adoptHugePageArena(torch::nn::Module& m) {
  constexpr size_t kHuge = size_t(2) << 20, kAlign = 64;
  std::vector<torch::Tensor> params = m.parameters(/*recurse=*/true);
  size_t total = 0;
  for (const auto& p : params) total += (p.nbytes() + kAlign - 1) / kAlign * kAlign;
  if (total < kHuge) return;
  struct Arena {
    void* base = MAP_FAILED;
    size_t size = 0;
    ~Arena() {
      if (base != MAP_FAILED) ::munmap(base, size);
    }
  };
  auto arena = std::make_shared<Arena>();
  arena->size = total + kHuge;
  arena->base = ::mmap(nullptr, arena->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (arena->base == MAP_FAILED) return;
  char* p = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(arena->base) + kHuge - 1) & ~(kHuge - 1));
#ifdef MADV_HUGEPAGE
  ::madvise(p, total, MADV_HUGEPAGE);
#endif
  torch::NoGradGuard noGrad;
  for (auto& param : params) {
    torch::Tensor view = torch::from_blob(p, param.sizes(), [arena](void*) {}, param.options());
    param.set_data(view);
    p += (param.nbytes() + kAlign - 1) / kAlign * kAlign;
  }
}

}  // namespace ns::sd::layers
