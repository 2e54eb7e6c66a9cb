#include "app/train/ema.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>

namespace ns::train {

namespace {
// Pairs the tensors by name: both modules are the same architecture, but matching names (not
// positions) turns a mismatch into a clear error instead of silently averaging the wrong weights.
template <class Fn>
void forEachPair(torch::nn::Module& shadow, const torch::nn::Module& model, bool buffers, Fn fn) {
  auto src = buffers ? model.named_buffers(true) : model.named_parameters(true);
  auto dst = buffers ? shadow.named_buffers(true) : shadow.named_parameters(true);
  if (src.size() != dst.size()) throw std::runtime_error("EMA: the shadow module has a different architecture");
  for (const auto& item : src) {
    at::Tensor* d = dst.find(item.key());
    if (!d || !d->sizes().equals(item.value().sizes()))
      throw std::runtime_error("EMA: the shadow module has no tensor '" + item.key() + "' of the same shape");
    fn(*d, item.value());
  }
}
}  // namespace

void Ema::reset(const torch::nn::Module& model) {
  torch::NoGradGuard noGrad;
  forEachPair(m_shadow, model, false, [](at::Tensor& d, const at::Tensor& s) { d.copy_(s); });
  forEachPair(m_shadow, model, true, [](at::Tensor& d, const at::Tensor& s) { d.copy_(s); });
}

double Ema::decayAt(int64_t step) const { return std::min(m_decay, (1.0 + double(step)) / (10.0 + double(step))); }

void Ema::update(const torch::nn::Module& model, int64_t step) {
  torch::NoGradGuard noGrad;
  const double w = 1.0 - decayAt(step);
  // lerp_ is one kernel per tensor: shadow += w·(model − shadow).
  forEachPair(m_shadow, model, false, [w](at::Tensor& d, const at::Tensor& s) { d.lerp_(s, w); });
  forEachPair(m_shadow, model, true, [](at::Tensor& d, const at::Tensor& s) { d.copy_(s); });
}

}  // namespace ns::train
