// Preview cost per frame: upload + draw of a changed frame, Vulkan (PreviewWidget on lavapipe:
// its default present path there is offscreen, label "vulkan offscreen") beside the QPainter/QImage
// baseline (the same widget's fallback: referenceRender + drawImage), both in this run, and the
// swap-chain path (what GPUs take; on lavapipe every present goes through the X socket) for
// comparison. Needs a display:
//   xvfb-run -a -s "-screen 0 1600x1200x24" build/bench/bench_ui_preview
// Every iteration hands the widget a different frame (two prepared buffers alternate, passed as
// shared_ptr so no copy is timed) and waits until that frame has been drawn (frameShown).
#include <benchmark/benchmark.h>

#include <QApplication>
#include <QEventLoop>
#include <QTimer>
#include <ctime>
#include <memory>

#include "tests/ui/preview/preview_test_frames.h"
#include "ui/preview/preview_widget.h"

using namespace ns::ui;

namespace {

enum class Backend { Invalid = 0, Vulkan, VulkanSwapChain, QPainter };

FramesPtr makeFrames(ns::FrameKind kind, int n, unsigned seed) {
  if (kind == ns::FrameKind::Noise) return std::make_shared<const ns::FrameBuffer>(nstest::noiseFrames(n, n, 4, 1, 1.f, seed));
  if (kind == ns::FrameKind::Flow) return std::make_shared<const ns::FrameBuffer>(nstest::flowFrames(n, n, 1 + int(seed % 2)));
  return std::make_shared<const ns::FrameBuffer>(nstest::rgbFrames(n, n, 1, seed));
}

// CPU seconds used by the whole process (all threads: lavapipe's rasteriser and queue threads
// too, not the X server). Unlike wall time this barely moves when other processes load the machine.
double processCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

// Blocks (in the event loop, without spinning) until the widget shows a frame or 5 s pass.
bool waitShown(PreviewWidget& w) {
  QEventLoop loop;
  bool shown = false;
  auto c = QObject::connect(&w, &PreviewWidget::frameShown, &loop, [&] { shown = true; loop.quit(); });
  QTimer::singleShot(5000, &loop, &QEventLoop::quit);
  loop.exec();
  QObject::disconnect(c);
  return shown;
}

// changeFrames: every iteration shows a different frame (upload + draw); otherwise it redraws
// the same frame at alternating zoom 1 / 1.01 (draw without upload: what zooming and panning cost).
void runPreview(benchmark::State& state, Backend backend, ns::FrameKind kind, PreviewMode mode, bool changeFrames = true) {
  const int n = int(state.range(0));
  PreviewOptions o;
  o.forceFallback = backend == Backend::QPainter;
  if (backend == Backend::VulkanSwapChain) o.present = PreviewPresent::SwapChain;
  PreviewWidget w(nullptr, o);
  if (backend != Backend::QPainter && !w.usingVulkan()) {
    state.SkipWithError(("Vulkan unavailable: " + w.fallbackReason().toStdString()).c_str());
    return;
  }
  w.resize(n, n + (w.usingVulkan() ? 0 : 24));  // fallback: room for its one-line reason
  w.setMode(mode);
  w.setNoiseChannel(2);
  const FramesPtr frames[2] = {makeFrames(kind, n, 1), makeFrames(kind, n, 2)};
  w.setFrames(frames[1]);
  w.show();
  if (!waitShown(w)) {
    state.SkipWithError("preview never showed a frame");
    return;
  }
  int i = 0;
  // Warm-up outside the timing: every frame-in-flight slot allocates its textures and staging
  // buffer at this size once, and lavapipe compiles the pipeline.
  for (int k = 0; k < 4; ++k) {
    w.setFrames(frames[i++ & 1]);
    waitShown(w);
  }
  const double cpu0 = processCpuSeconds();
  for (auto _ : state) {
    if (changeFrames)
      w.setFrames(frames[i++ & 1]);
    else
      w.setZoom((i++ & 1) ? 1.01 : 1.0);
    if (!waitShown(w)) {
      state.SkipWithError("frame not shown within 5 s");
      break;
    }
  }
  state.counters["proc_cpu_ms"] = (processCpuSeconds() - cpu0) * 1e3 / std::max<double>(1.0, double(state.iterations()));
  state.counters["uploads"] = w.uploadCount();
  state.SetLabel(w.drawingPath().toStdString());
}

void BM_Vulkan_Rgb(benchmark::State& s) { runPreview(s, Backend::Vulkan, ns::FrameKind::Image, PreviewMode::Frame); }
void BM_VulkanSwapChain_Rgb(benchmark::State& s) { runPreview(s, Backend::VulkanSwapChain, ns::FrameKind::Image, PreviewMode::Frame); }
void BM_QPainter_Rgb(benchmark::State& s) { runPreview(s, Backend::QPainter, ns::FrameKind::Image, PreviewMode::Frame); }
void BM_Vulkan_RgbRedraw(benchmark::State& s) { runPreview(s, Backend::Vulkan, ns::FrameKind::Image, PreviewMode::Frame, false); }
void BM_QPainter_RgbRedraw(benchmark::State& s) { runPreview(s, Backend::QPainter, ns::FrameKind::Image, PreviewMode::Frame, false); }
void BM_Vulkan_NoiseHeat(benchmark::State& s) { runPreview(s, Backend::Vulkan, ns::FrameKind::Noise, PreviewMode::NoiseChannel); }
void BM_QPainter_NoiseHeat(benchmark::State& s) { runPreview(s, Backend::QPainter, ns::FrameKind::Noise, PreviewMode::NoiseChannel); }
void BM_Vulkan_FlowWheel(benchmark::State& s) { runPreview(s, Backend::Vulkan, ns::FrameKind::Flow, PreviewMode::FlowWheel); }
void BM_QPainter_FlowWheel(benchmark::State& s) { runPreview(s, Backend::QPainter, ns::FrameKind::Flow, PreviewMode::FlowWheel); }

}  // namespace

#define NS_PREVIEW_BENCH(fn) BENCHMARK(fn)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0)
NS_PREVIEW_BENCH(BM_Vulkan_Rgb);
NS_PREVIEW_BENCH(BM_QPainter_Rgb);
NS_PREVIEW_BENCH(BM_VulkanSwapChain_Rgb);
NS_PREVIEW_BENCH(BM_Vulkan_RgbRedraw);
NS_PREVIEW_BENCH(BM_QPainter_RgbRedraw);
NS_PREVIEW_BENCH(BM_Vulkan_NoiseHeat);
NS_PREVIEW_BENCH(BM_QPainter_NoiseHeat);
NS_PREVIEW_BENCH(BM_Vulkan_FlowWheel);
NS_PREVIEW_BENCH(BM_QPainter_FlowWheel);

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
