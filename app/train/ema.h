#pragma once
// Ema: exponential moving average of a network's weights, kept in a second module of the same
// architecture (the "shadow", which is what gets exported). Decay warms up as
// min(decay, (1+step)/(10+step)) so short runs still end with a useful average.
// Thread contract: used from the training thread only; both modules must live on one device.

#include <cstdint>

namespace torch::nn {
class Module;
}

namespace ns::train {

class Ema {
 public:
  // `shadow` must have the same parameter and buffer names and shapes as the trained model.
  explicit Ema(torch::nn::Module& shadow, double decay = 0.999) : m_shadow(shadow), m_decay(decay) {}
  // Makes the shadow an exact copy of `model` (start of training).
  void reset(const torch::nn::Module& model);
  // shadow = d·shadow + (1-d)·model for parameters; buffers are copied. `step` drives the warm-up.
  void update(const torch::nn::Module& model, int64_t step);
  double decayAt(int64_t step) const;

 private:
  torch::nn::Module& m_shadow;
  double m_decay;
};

}  // namespace ns::train
