// AnimateDiff motion modules at real size (issue 16's benchmark): one video-UNet step of SD 1.5 +
// a v2-layout motion module (random weights of the real shapes: 21 modules, 453,209,280
// parameters; the time does not depend on the values), x_t [1,4,F,s,s], with the time spent in the
// temporal modules measured inside the same forward (SdUnet's site hook), so temporal and spatial
// cost come from one run: counters temporal_s, spatial_s and temporal_share.
// Args: frames, latent side. The position table is made 64 long so 48 frames fit one window (the
// released files have 32; the cost per frame count is the same).
// Also: BM_TemporalVsSpatialPerFrame (512² images, 64² latents: the spatial UNet per frame and the
// motion modules alone for F frames, one run) and BM_FreeNoiseOverhead (FreeNoise window fusion
// vs plain sliding windows vs one window, interleaved, CPU-time medians).
// Wall-clock times (UseRealTime). Run: build-*/bench/bench_core_motion [--benchmark_filter=...].
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "core/model/context_windows.h"
#include "core/model/sd/motion_module.h"
#include "core/model/sd/sd_video_denoiser.h"
#include "core/model/sd/windowed_video_denoiser.h"
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

// The same comparison where a whole F-frame step does not fit this machine's time (512² images,
// 64² latents: one 16-frame SD step is minutes on 2 cores): the spatial UNet runs ONE frame (its
// per-frame cost; the spatial layers see frames as a batch, so F frames cost F times that to
// first order) while its site hook records every motion site's hidden-state shape; then the
// motion modules alone run on random hidden states of exactly those shapes for F frames — the
// temporal part of one F-frame step. Both in the same run: counters spatial_per_frame_s,
// spatial_s (= F x per frame), temporal_s and temporal_share = temporal / (temporal + spatial).
void BM_TemporalVsSpatialPerFrame(benchmark::State& state) {
  ns::initTorchRuntime();
  c10::InferenceMode guard;
  const int64_t frames = state.range(0), side = state.range(1);
  static auto unet = ns::sd::SdUnet::createRandom(ns::sd::sd15UnetConfig(), 1);
  static auto motion = ns::sd::MotionModules::createRandom(sd15MotionV2(), 2);
  at::Generator gen = at::detail::createCPUGenerator(3);
  const at::Tensor x = at::randn({1, 4, side, side}, gen, at::TensorOptions());
  const at::Tensor ctx = at::randn({1, 77, 768}, gen, at::TensorOptions());
  const at::Tensor t = at::full({1}, 500, at::kLong);
  std::vector<std::pair<ns::sd::UnetSite, std::vector<int64_t>>> sites;
  ns::sd::SdUnet::SiteHook record = [&](const ns::sd::UnetSite& site, const at::Tensor& h) {
    if (motion->has(site)) sites.emplace_back(site, h.sizes().vec());
    return h;
  };
  double spatial = 0, temporal = 0;
  for (auto _ : state) {
    sites.clear();
    auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(unet->forward(x, t, ctx, record));
    spatial = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    temporal = 0;
    for (const auto& [site, shape] : sites) {
      std::vector<int64_t> clip = shape;
      clip[0] = frames;  // [F, C, h, w]: one clip of F frames
      const at::Tensor h = at::randn(clip, gen, at::TensorOptions());
      t0 = std::chrono::steady_clock::now();
      benchmark::DoNotOptimize(motion->apply(site, h, frames));
      temporal += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  }
  state.counters["spatial_per_frame_s"] = spatial;
  state.counters["spatial_s"] = spatial * double(frames);
  state.counters["temporal_s"] = temporal;
  state.counters["temporal_share"] = temporal / (temporal + spatial * double(frames));
  state.counters["sites"] = double(sites.size());
}
BENCHMARK(BM_TemporalVsSpatialPerFrame)
    ->Args({16, 64})
    ->Args({48, 64})
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(1);

// FreeNoise's window fusion against plain sliding windows (issue 16's benchmark, goal: fusion
// costs <= 17 % more): one denoiser call (one clip, no CFG batch) on an F-frame clip
// through WindowedVideoDenoiser with windows of 16 overlapping by 4 (48 frames: 4 windows, 64
// frames through the spatial layers either way) — plain windows (Average) and FreeNoise fusion —
// and the same clip in ONE window (the base model's cost; the position table is 64 long).
// The three run interleaved, `reps` rounds in rotating order, so a load change on the shared
// machine hits all three alike; the counters are medians of wall time and of process CPU time
// per call, and overhead_* = FreeNoise / other - 1 from the CPU-time medians (the work done,
// less sensitive to other processes than wall time). SD 1.5 shapes with random weights.
// Args: frames, latent side, reps.
double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

void BM_FreeNoiseOverhead(benchmark::State& state) {
  ns::initTorchRuntime();
  c10::InferenceMode guard;
  const int64_t frames = state.range(0), side = state.range(1), reps = state.range(2);
  static auto unet = ns::sd::SdUnet::createRandom(ns::sd::sd15UnetConfig(), 1);
  static auto motion = ns::sd::MotionModules::createRandom(sd15MotionV2(), 2);
  ns::DenoiserInfo info;
  info.id = "bench-sd15-video";
  info.isVideo = true;
  auto video = std::make_shared<ns::sd::SdVideoDenoiser>(unet, motion, info);
  ns::ContextWindowOptions windows;  // length 16, overlap 4
  ns::ContextWindowOptions whole;
  whole.length = frames;
  std::vector<std::shared_ptr<ns::Denoiser>> models{
      std::make_shared<ns::sd::WindowedVideoDenoiser>(video, windows, ns::WindowFusion::Average),
      std::make_shared<ns::sd::WindowedVideoDenoiser>(video, windows, ns::WindowFusion::FreeNoise),
      std::make_shared<ns::sd::WindowedVideoDenoiser>(video, whole, ns::WindowFusion::Average)};
  at::Generator gen = at::detail::createCPUGenerator(3);
  const at::Tensor x = at::randn({1, 4, frames, side, side}, gen, at::TensorOptions());
  ns::Conditioning cond;
  cond.context = at::randn({1, 77, 768}, gen, at::TensorOptions());
  const at::Tensor t = at::full({1}, 500, at::kLong);
  std::vector<std::vector<double>> wall(3), cpu(3);
  for (auto _ : state) {
    for (int64_t r = 0; r < reps; ++r)
      for (int k = 0; k < 3; ++k) {
        const size_t m = size_t((k + r) % 3);
        const double c0 = cpuSeconds();
        const auto t0 = std::chrono::steady_clock::now();
        benchmark::DoNotOptimize(models[m]->predict(x, t, cond));
        wall[m].push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        cpu[m].push_back(cpuSeconds() - c0);
      }
  }
  const char* names[3] = {"windows", "freenoise", "one_window"};
  for (size_t m = 0; m < 3; ++m) {
    state.counters[std::string(names[m]) + "_wall_s"] = median(wall[m]);
    state.counters[std::string(names[m]) + "_cpu_s"] = median(cpu[m]);
  }
  state.counters["overhead_vs_windows"] = median(cpu[1]) / median(cpu[0]) - 1;
  state.counters["overhead_vs_one_window"] = median(cpu[1]) / median(cpu[2]) - 1;
  state.counters["windows"] = double(ns::contextWindows(frames, windows).size());
}
BENCHMARK(BM_FreeNoiseOverhead)->Args({48, 8, 1})->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
