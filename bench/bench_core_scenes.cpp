// Shapes-world scene generation speed (core/plan/scene_generator.h): scenes per second at the
// training size (64) and larger sizes, single- and multi-threaded (generate() is const and
// thread-safe, as the trainer's dataset thread pool uses it). Baseline in the same run: filling a
// tensor of the same shape with seeded Gaussian noise (at::randn), the cheapest "image source".
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <benchmark/benchmark.h>

#include <atomic>

#include "core/plan/scene_generator.h"

namespace {

void BM_GenerateScene(benchmark::State& state) {
  ns::SceneOptions o;
  o.size = static_cast<int>(state.range(0));
  const ns::SceneGenerator gen(o);
  static std::atomic<uint64_t> nextSeed{0};
  for (auto _ : state) {
    const ns::GeneratedScene s = gen.generate(nextSeed++);
    benchmark::DoNotOptimize(s.image.data_ptr<float>());
  }
  state.counters["scenes_per_s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GenerateScene)->Arg(64)->Arg(128)->Arg(256)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GenerateScene)->Arg(64)->Threads(2)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_RandnBaseline(benchmark::State& state) {
  const int64_t s = state.range(0);
  at::Generator g = at::detail::createCPUGenerator(1);
  for (auto _ : state) {
    const at::Tensor t = at::randn({3, s, s}, g, at::TensorOptions());
    benchmark::DoNotOptimize(t.data_ptr<float>());
  }
  state.counters["tensors_per_s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RandnBaseline)->Arg(64)->Arg(128)->Arg(256)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
