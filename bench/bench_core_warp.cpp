// Noise warping speed (Go-with-the-Flow step, core/noise/noise_warper.h) per frame at the sizes
// the app uses, flow = 1° rotation + 1% zoom per frame. The counter `x_vs_ref` is the speed-up
// over the Python reference (CommonSource noise_warp.py, measured on this machine kind; figures in
// ms/frame from the task: 41, 400, 1614, 2958, 50665). Runs with 2 intra-op threads.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include "core/noise/flow_fields.h"
#include "core/noise/noise_warper.h"

namespace {

struct Size {
  int64_t h, w, c;
  double refMs;
};
const Size kSizes[] = {{64, 64, 4, 41}, {256, 256, 4, 400}, {512, 512, 4, 1614}, {480, 720, 16, 2958},
                       {1920, 2880, 16, 50665}};

void warp(benchmark::State& state, ns::WarpBackend backend) {
  const Size s = kSizes[state.range(0)];
  ns::NoiseWarperOptions o;
  o.seed = 1;
  o.backend = backend;
  ns::NoiseWarper warper(s.c, s.h, s.w, o);
  const at::Tensor flow = ns::FlowFields::similarity(s.h, s.w, 1.f, 1.01f);
  for (auto _ : state) {
    auto r = warper.step(flow);
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(warper.stateNoise().data_ptr<float>());
  }
  state.counters["fps"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  // x_vs_ref = reference ms / measured ms = reference seconds × frames per second.
  state.counters["x_vs_ref"] =
      benchmark::Counter(double(state.iterations()) * s.refMs * 1e-3, benchmark::Counter::kIsRate);
  state.SetLabel(std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c));
}

void BM_WarpCpuLoops(benchmark::State& state) { warp(state, ns::WarpBackend::CpuLoops); }
void BM_WarpAten(benchmark::State& state) { warp(state, ns::WarpBackend::Aten); }

}  // namespace

BENCHMARK(BM_WarpCpuLoops)->DenseRange(0, 3)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_WarpCpuLoops)->Arg(4)->Iterations(4)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_WarpAten)->DenseRange(0, 3)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_WarpAten)->Arg(4)->Iterations(2)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

int main(int argc, char** argv) {
  at::set_num_threads(2);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
