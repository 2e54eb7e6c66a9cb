#pragma once
// FreeNoise (docs/algorithms.md §3.1–3.2): noise rescheduling for long clips and the window helpers a
// windowed denoising loop needs (views with the appended tail window, pyramid weights, weighted
// fusion of per-window outputs).
// Thread: static, stateless functions. Bad arguments (window < 1, stride < 1 or > window,
// mismatched shapes) are programming errors and throw c10::Error.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace ns {

// Frames [start, end) of one window.
struct FrameWindow {
  int64_t start = 0;
  int64_t end = 0;
  int64_t size() const { return end - start; }
  bool operator==(const FrameWindow& o) const { return start == o.start && end == o.end; }
};

class FreeNoise {
 public:
  // Which original frame each frame's noise is a copy of after rescheduling with window L and
  // stride S: for f0 = L, L+S, … < F, frames [f0, f0+S) copy a seeded shuffle of [f0−L, f0−L+S)
  // (sequentially, so later chunks copy copies). A last chunk that does not fit is truncated
  // (diffusers' behaviour). F ≤ L: the identity. Every entry ≥ L points into [0, L).
  static std::vector<int64_t> rescheduleIndices(int64_t frames, int64_t window, int64_t stride, uint64_t seed);
  // noise with frames along `frameDim` ([F,C,H,W] by default), rescheduled (a new tensor).
  static at::Tensor reschedule(const at::Tensor& noise, int64_t window, int64_t stride, uint64_t seed,
                               int64_t frameDim = 0);
  // Window views [(i·S, i·S+L) for i = 0 … ⌊(F−L)/S⌋], plus the tail window (F−L, F) when the last
  // view ends before F. F ≤ L gives one view (0, F).
  static std::vector<FrameWindow> views(int64_t frames, int64_t window, int64_t stride);
  // Pyramid weights of a window of n frames: [1,2,…,n/2,n/2,…,2,1] (n even), [1,…,(n+1)/2,…,1] (odd).
  static std::vector<float> pyramidWeights(int64_t n);
  // Weighted fusion: out[f] = Σ_v w_v[f−s_v]·O_v[f−s_v] / Σ_v w_v[f−s_v] over the views covering f
  // (0 where none does). outputs[v] has views[v].size() frames along frameDim; all other dims equal.
  // A frame covered by one window gets exactly that window's output.
  static at::Tensor fuseWindows(const std::vector<at::Tensor>& outputs, const std::vector<FrameWindow>& views,
                                int64_t frames, int64_t frameDim = 0);
};

}  // namespace ns
