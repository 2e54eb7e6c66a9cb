#pragma once
// Deterministic stand-in denoisers for the diffusion tests (no weights, elementwise, cheap).

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <functional>
#include <vector>

#include "core/diffusion/noise_schedule.h"
#include "core/diffusion/sampler_steps.h"
#include "core/model/denoiser.h"

namespace nstest {

// Conditioning whose context is one float per row; the stubs read it as bias(c).
inline ns::Conditioning biasCond(std::vector<float> rows) {
  const int64_t n = int64_t(rows.size());
  return ns::Conditioning{at::tensor(rows).view({n, 1})};
}

// ε(x, t, c) = gain·tanh(x) + 0.01·(t/1000) + bias(c)  (docs/algorithms.md §1.7). gain = 0 gives an
// x-independent stub. The output is read in `prediction`'s parameterisation.
class TanhStub : public ns::Denoiser {
 public:
  explicit TanhStub(double gain = 0.3, ns::PredictionType prediction = ns::PredictionType::Epsilon,
                    bool video = false)
      : m_gain(gain) {
    m_info.id = "tanh-stub";
    m_info.prediction = prediction;
    m_info.isVideo = video;
  }
  const ns::DenoiserInfo& info() const override { return m_info; }
  at::Tensor predict(const at::Tensor& x, const at::Tensor& t, const ns::Conditioning& c) override {
    ++calls;
    batches.push_back(x.size(0));
    if (beforePredict) beforePredict();
    std::vector<int64_t> shape(size_t(x.dim()), 1);
    shape[0] = x.size(0);
    const at::Tensor tt = t.to(at::kFloat).view(shape) * (0.01 / 1000.0);
    at::Tensor out = x.tanh() * m_gain + tt;
    if (c.context.defined()) out = out + c.context.to(at::kFloat).view(shape);
    return out;
  }
  int calls = 0;
  std::vector<int64_t> batches;
  std::function<void()> beforePredict;

 private:
  ns::DenoiserInfo m_info;
  double m_gain;
};

// Knows the clean sample: returns `target` expressed in its prediction type (needs the schedule
// to convert), so any correct sampler lands on target.
class OracleStub : public ns::Denoiser {
 public:
  OracleStub(at::Tensor target, const ns::NoiseSchedule& schedule, ns::PredictionType prediction)
      : m_target(std::move(target)), m_schedule(&schedule) {
    m_info.id = "oracle-stub";
    m_info.prediction = prediction;
  }
  const ns::DenoiserInfo& info() const override { return m_info; }
  at::Tensor predict(const at::Tensor& x, const at::Tensor& t, const ns::Conditioning&) override {
    ++calls;
    const double a = m_schedule->alphaBar(t[0].item<int64_t>());
    const at::Tensor target = m_target.expand_as(x);
    return ns::convertPrediction(x, target, ns::PredictionType::Sample, m_info.prediction, a);
  }
  int calls = 0;

 private:
  ns::DenoiserInfo m_info;
  at::Tensor m_target;
  const ns::NoiseSchedule* m_schedule;
};

inline ns::NoiseSchedule sdSchedule() { return ns::NoiseSchedule::fromConfig(ns::ScheduleConfig{}).value(); }

inline at::Tensor seededRandn(std::vector<int64_t> shape, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat));
}

inline double maxAbsDiff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace nstest
