// Sketch render speed (core/plan/sketch_renderer.h): frames per second of SketchRenderer::render
// on an example project (examples/box_and_star_on_the_sea.nsproj: two objects, one rotating) at
// 64² (the model's size), 256² and 512², counting everything render() makes (frames, flow,
// occlusion, object index). Baseline in the same run: a minimal box painter — each object's
// axis-aligned box filled with a flat colour in plain loops, no shapes, outlines, rotation, flow or
// occlusion — i.e. the least any sketch renderer has to do. `fps` and `x_realtime` (= fps / the
// project's own fps) are reported for both.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "core/plan/project.h"
#include "core/plan/sketch_renderer.h"

namespace {

ns::Project exampleProject(int size) {
  const char* src = std::getenv("NS_SOURCE_DIR");
  const std::string root = src && *src ? src : NS_SOURCE_DIR;
  auto p = ns::Project::open(root + "/examples/box_and_star_on_the_sea.nsproj");
  if (!p.ok()) {
    std::fprintf(stderr, "bench_core_sketch: %s\n", p.error().message.c_str());
    std::exit(1);
  }
  ns::Project project = p.value();
  project.width = size;
  project.height = size;
  return project;
}

void report(benchmark::State& state, const ns::Project& p) {
  const double frames = double(state.iterations()) * p.frames;
  state.counters["fps"] = benchmark::Counter(frames, benchmark::Counter::kIsRate);
  state.counters["x_realtime"] = benchmark::Counter(frames / p.fps, benchmark::Counter::kIsRate);
  state.SetLabel(std::to_string(p.frames) + " frames " + std::to_string(p.width) + "x" + std::to_string(p.height));
}

void BM_SketchRender(benchmark::State& state) {
  const ns::Project p = exampleProject(int(state.range(0)));
  const ns::SketchRenderer renderer;
  for (auto _ : state) {
    auto s = renderer.render(p);
    if (!s.ok()) {
      state.SkipWithError(s.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(s->frames.data_ptr<float>());
  }
  report(state, p);
}
BENCHMARK(BM_SketchRender)->Arg(64)->Arg(256)->Arg(512)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_BoxPainterBaseline(benchmark::State& state) {
  const ns::Project p = exampleProject(int(state.range(0)));
  const int64_t H = p.height, W = p.width, F = p.frames;
  for (auto _ : state) {
    at::Tensor frames = at::empty({F, 3, H, W});
    float* base = frames.data_ptr<float>();
    at::parallel_for(0, F, 1, [&](int64_t f0, int64_t f1) {
      for (int64_t f = f0; f < f1; ++f) {
        float* img = base + f * 3 * H * W;
        for (int c = 0; c < 3; ++c) std::fill(img + c * H * W, img + (c + 1) * H * W, c == 2 ? 0.4f : -0.2f);
        for (const ns::SceneObject& o : p.layoutAt(double(f))) {
          const int64_t x0 = std::max<int64_t>(0, int64_t(o.box.x0 * W)), x1 = std::min<int64_t>(W, int64_t(o.box.x1 * W));
          const int64_t y0 = std::max<int64_t>(0, int64_t(o.box.y0 * H)), y1 = std::min<int64_t>(H, int64_t(o.box.y1 * H));
          for (int c = 0; c < 3; ++c)
            for (int64_t y = y0; y < y1; ++y) std::fill(img + (c * H + y) * W + x0, img + (c * H + y) * W + x1, 0.8f);
        }
      }
    });
    benchmark::DoNotOptimize(frames.data_ptr<float>());
  }
  report(state, p);
}
BENCHMARK(BM_BoxPainterBaseline)->Arg(64)->Arg(256)->Arg(512)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
