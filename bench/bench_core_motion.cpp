// AnimateDiff motion modules at real size (issue 16's benchmark): one video-UNet step of SD 1.5 +
// a v2-layout motion module (random weights of the real shapes: 21 modules, 453,209,280
// parameters; the time does not depend on the values), x_t [1,4,F,s,s], with the time spent in the
// temporal modules measured inside the same forward (SdUnet's site hook), so temporal and spatial
// cost come from one run: counters temporal_s, spatial_s and temporal_share.
// Args: frames, latent side. The position table is made 64 long so 48 frames fit one window (the
// released files have 32; the cost per frame count is the same).
// Wall-clock times (UseRealTime). Run: build-*/bench/bench_core_motion [--benchmark_filter=...].
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>

#include <chrono>

#include "core/model/sd/motion_module.h"
#include "core/model/sd/sd_unet.h"
#include "core/util/torch_runtime.h"

namespace {

ns::sd::MotionConfig sd15MotionV2() {
  ns::sd::MotionConfig c;
  c.modules = ns::sd::unetMotionSites(ns::sd::sd15UnetConfig(), /*midBlock=*/true);
  for (auto& m : c.modules) m.innerDim = m.channels;
  c.midBlock = true;
  c.maxFrames = 64;
  return c;
}

void BM_VideoUnetStep(benchmark::State& state) {
  ns::initTorchRuntime();
  c10::InferenceMode guard;
  const int64_t frames = state.range(0), side = state.range(1);
  static auto unet = ns::sd::SdUnet::createRandom(ns::sd::sd15UnetConfig(), 1);
  static auto motion = ns::sd::MotionModules::createRandom(sd15MotionV2(), 2);
  at::Generator gen = at::detail::createCPUGenerator(3);
  const at::Tensor x = at::randn({frames, 4, side, side}, gen, at::TensorOptions());
  const at::Tensor ctx = at::randn({1, 77, 768}, gen, at::TensorOptions()).expand({frames, 77, 768});
  const at::Tensor t = at::full({frames}, 500, at::kLong);
  double temporal = 0;
  ns::sd::SdUnet::SiteHook hook = [&](const ns::sd::UnetSite& site, const at::Tensor& h) {
    const auto t0 = std::chrono::steady_clock::now();
    at::Tensor out = motion->apply(site, h, frames);
    temporal += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
  };
  unet->forward(x.narrow(0, 0, 2), t.narrow(0, 0, 2), ctx.narrow(0, 0, 2));  // first touch of the weights
  double total = 0;
  for (auto _ : state) {
    temporal = 0;
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(unet->forward(x, t, ctx, hook));
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const double n = double(state.iterations());
  state.counters["temporal_s"] = temporal;  // the last iteration's
  state.counters["spatial_s"] = total / n - temporal;
  state.counters["temporal_share"] = temporal / (total / n);
}
BENCHMARK(BM_VideoUnetStep)
    ->Args({16, 16})
    ->Args({48, 16})
    ->Args({16, 32})
    ->Args({16, 64})
    ->Args({48, 64})
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
