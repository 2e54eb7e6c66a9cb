// Edit-friendly inversion (forward + reverse) and DDIM sampling with a small conv stub denoiser
// (SD-sized 4×64×64 latent) and with the shipped built-in model, against the time spent inside the
// model in the same run. Counter overhead_pct =
// (wall − model)/model · 100: what the diffusion arithmetic, CFG batching and bookkeeping add.
// Goal: ≤ 5 %.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>

#include <chrono>

#include "core/diffusion/ddim_sampler.h"
#include "core/diffusion/edit_friendly_inversion.h"
#include "core/model/builtin_model.h"
#include "core/model/model_bundle.h"
#include "core/model/text_conditioner.h"

namespace {

// ε̂ = conv(silu(conv(silu(conv(x))))) + bias(c): 4 → 64 → 64 → 4 channels, 3×3, so the model
// dominates as a real UNet would. Times itself.
class ConvStub : public ns::Denoiser {
 public:
  ConvStub() {
    at::Generator g = at::detail::createCPUGenerator(1);
    const auto f = at::TensorOptions().dtype(at::kFloat);
    m_w1 = at::randn({64, 4, 3, 3}, g, f) * 0.1;
    m_w2 = at::randn({64, 64, 3, 3}, g, f) * 0.03;
    m_w3 = at::randn({4, 64, 3, 3}, g, f) * 0.03;
    m_info.id = "conv-stub";
  }
  const ns::DenoiserInfo& info() const override { return m_info; }
  at::Tensor predict(const at::Tensor& x, const at::Tensor& t, const ns::Conditioning& c) override {
    const auto start = std::chrono::steady_clock::now();
    at::Tensor h = at::silu(at::conv2d(x, m_w1, {}, 1, 1));
    h = at::silu(at::conv2d(h, m_w2, {}, 1, 1));
    at::Tensor out = at::conv2d(h, m_w3, {}, 1, 1) + c.context.view({-1, 1, 1, 1});
    modelSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  }
  double modelSeconds = 0.0;

 private:
  ns::DenoiserInfo m_info;
  at::Tensor m_w1, m_w2, m_w3;
};

// Costs (almost) nothing: isolates the sampler's own arithmetic per run.
class FreeStub : public ns::Denoiser {
 public:
  FreeStub() { m_info.id = "free-stub"; }
  const ns::DenoiserInfo& info() const override { return m_info; }
  at::Tensor predict(const at::Tensor& x, const at::Tensor&, const ns::Conditioning& c) override {
    return c.context.view({-1, 1, 1, 1}).expand_as(x);
  }

 private:
  ns::DenoiserInfo m_info;
};

ns::Conditioning cond(float v) { return ns::Conditioning{at::full({1, 1}, v)}; }

void reportOverhead(benchmark::State& state, double wall, double model) {
  state.counters["model_ms"] = benchmark::Counter(model * 1e3 / double(state.iterations()));
  state.counters["overhead_pct"] = benchmark::Counter((wall - model) / model * 100.0);
}

void BM_EditFriendlyForwardReverse(benchmark::State& state) {
  c10::InferenceMode guard;
  const ns::NoiseSchedule schedule = ns::NoiseSchedule::fromConfig(ns::ScheduleConfig{}).value();
  ConvStub model;
  ns::EditFriendlyInversion inv(model, schedule);
  at::Generator g = at::detail::createCPUGenerator(3);
  const at::Tensor x0 = at::randn({1, 4, 64, 64}, g, at::TensorOptions().dtype(at::kFloat));
  ns::EditFriendlyInvertOptions io;
  io.steps = int(state.range(0));
  io.cfgScale = 3.5;
  ns::EditFriendlyReverseOptions ro;
  ro.cfgScale = 3.5;
  double wall = 0.0;
  model.modelSeconds = 0.0;
  for (auto _ : state) {
    ns::JobContext ctx;
    const auto start = std::chrono::steady_clock::now();
    auto r = inv.invert(x0, cond(0.2f), cond(0.f), io, ctx);
    auto x = inv.reverse(r.value(), cond(0.2f), cond(0.f), ro, ctx);
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    benchmark::DoNotOptimize(x.value().data_ptr());
    if (!r.ok() || !x.ok()) state.SkipWithError("inversion failed");
  }
  reportOverhead(state, wall, model.modelSeconds);
}
BENCHMARK(BM_EditFriendlyForwardReverse)->Arg(50)->Iterations(3)->Unit(benchmark::kMillisecond);

// Absolute cost of the inversion arithmetic alone (forward + reverse, T steps, 4×64×64).
void BM_EditFriendlyArithmeticOnly(benchmark::State& state) {
  c10::InferenceMode guard;
  const ns::NoiseSchedule schedule = ns::NoiseSchedule::fromConfig(ns::ScheduleConfig{}).value();
  FreeStub model;
  ns::EditFriendlyInversion inv(model, schedule);
  at::Generator g = at::detail::createCPUGenerator(3);
  const at::Tensor x0 = at::randn({1, 4, 64, 64}, g, at::TensorOptions().dtype(at::kFloat));
  ns::EditFriendlyInvertOptions io;
  io.steps = int(state.range(0));
  ns::EditFriendlyReverseOptions ro;
  ro.cfgScale = 3.5;
  for (auto _ : state) {
    ns::JobContext ctx;
    auto r = inv.invert(x0, cond(0.2f), cond(0.f), io, ctx);
    auto x = inv.reverse(r.value(), cond(0.2f), cond(0.f), ro, ctx);
    benchmark::DoNotOptimize(x.value().data_ptr());
  }
}
BENCHMARK(BM_EditFriendlyArithmeticOnly)->Arg(50)->Unit(benchmark::kMillisecond);

void BM_DdimSample(benchmark::State& state) {
  c10::InferenceMode guard;
  const ns::NoiseSchedule schedule = ns::NoiseSchedule::fromConfig(ns::ScheduleConfig{}).value();
  ConvStub model;
  at::Generator g = at::detail::createCPUGenerator(4);
  const at::Tensor xT = at::randn({1, 4, 64, 64}, g, at::TensorOptions().dtype(at::kFloat));
  const auto ts = schedule.timesteps(int(state.range(0)));
  double wall = 0.0;
  model.modelSeconds = 0.0;
  for (auto _ : state) {
    ns::JobContext ctx;
    const auto start = std::chrono::steady_clock::now();
    auto x = ns::sampleDdim(model, schedule, xT, ts, cond(0.2f), cond(0.f), 7.5, 0.0, nullptr, ctx);
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!x.ok()) state.SkipWithError("sampling failed");
  }
  reportOverhead(state, wall, model.modelSeconds);
}
BENCHMARK(BM_DdimSample)->Arg(50)->Iterations(3)->Unit(benchmark::kMillisecond);

// Wraps a real denoiser and sums the time spent inside it.
class TimedDenoiser : public ns::Denoiser {
 public:
  explicit TimedDenoiser(std::shared_ptr<ns::Denoiser> inner) : m_inner(std::move(inner)) {}
  const ns::DenoiserInfo& info() const override { return m_inner->info(); }
  at::Tensor predict(const at::Tensor& x, const at::Tensor& t, const ns::Conditioning& c) override {
    const auto start = std::chrono::steady_clock::now();
    at::Tensor out = m_inner->predict(x, t, c);
    modelSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  }
  double modelSeconds = 0.0;

 private:
  std::shared_ptr<ns::Denoiser> m_inner;
};

// The same forward + reverse with the product's own shipped model (UNet, text conditioning, its
// schedule) on its 4×16×16 latent: the overhead a user of the built-in model pays.
void BM_EditFriendlyBuiltinModel(benchmark::State& state) {
  c10::InferenceMode guard;
  const std::string dir = ns::findBuiltinModelDir();
  auto bundle = dir.empty() ? ns::Result<ns::ModelBundle>(ns::makeError(ns::ErrorKind::Model, "not found"))
                            : ns::loadBuiltinModel(dir);
  if (!bundle.ok()) {
    state.SkipWithError("the shipped built-in model was not found");
    return;
  }
  const ns::NoiseSchedule schedule = ns::NoiseSchedule::fromConfig(bundle->denoiser->info().schedule).value();
  TimedDenoiser model(bundle->denoiser);
  ns::EditFriendlyInversion inv(model, schedule);
  const ns::Conditioning c = bundle->text->encode("a red ball on grass").value().cond;
  const ns::Conditioning u = bundle->text->unconditional();
  at::Generator g = at::detail::createCPUGenerator(3);
  const at::Tensor x0 = at::randn({1, 4, 16, 16}, g, at::TensorOptions().dtype(at::kFloat));
  ns::EditFriendlyInvertOptions io;
  io.steps = int(state.range(0));
  io.cfgScale = 3.5;
  ns::EditFriendlyReverseOptions ro;
  ro.cfgScale = 3.5;
  double wall = 0.0;
  for (auto _ : state) {
    ns::JobContext ctx;
    const auto start = std::chrono::steady_clock::now();
    auto r = inv.invert(x0, c, u, io, ctx);
    auto x = inv.reverse(r.value(), c, u, ro, ctx);
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    benchmark::DoNotOptimize(x.value().data_ptr());
    if (!r.ok() || !x.ok()) state.SkipWithError("inversion failed");
  }
  reportOverhead(state, wall, model.modelSeconds);
}
BENCHMARK(BM_EditFriendlyBuiltinModel)->Arg(50)->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
