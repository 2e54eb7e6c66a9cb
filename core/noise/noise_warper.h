#pragma once
// NoiseWarper: Go-with-the-Flow noise warping (docs/algorithms.md §2.3) — a noise state advanced one
// optical-flow step at a time, plus whole-sequence warping.
//
// State: C noise channels [C,H,W] and a weight/density channel ω [H,W] (> 0, mean ≈ 1) on the
// state's device. Each step(flow) applies WarpStep (§2.2). noise(outH, outW) is the weight-aware
// unit-variance shrink Σ n·ω / sqrt(Σ ω²) (the identity at the state size), optionally degraded
// with γ (§2.5). All fresh noise comes from the seeded generator member (drawn on CPU, then moved
// to the state's device), so a seed gives the same noise on CPU and CUDA and across runs.
//
// Thread: one NoiseWarper belongs to one thread at a time (it owns a generator). Construct
// c10::InferenceMode in the calling thread if autograd is linked in.

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "core/noise/warp_step.h"
#include "core/util/result.h"

namespace ns {

class JobContext;

struct NoiseWarperOptions {
  uint64_t seed = 0;              // seeds the initial noise (when not given) and all fresh noise
  double degradation = 0.0;       // γ: noise() outputs are degrade(·, γ) (0 = pure warped noise)
  double progressiveAlpha = 0.0;  // fresh noise blended into the state before every step (0 = off)
  WarpBackend backend = WarpBackend::Auto;
};

struct WarpSequenceOptions {
  int64_t outHeight = 0;  // output size (≤ state size; 0 = the state size)
  int64_t outWidth = 0;
  NoiseWarperOptions warper;
};

class NoiseWarper {
 public:
  // State of C×H×W fresh N(0,1) noise drawn from options.seed, on `device`.
  NoiseWarper(int64_t channels, int64_t height, int64_t width, const NoiseWarperOptions& options = {},
              const at::Device& device = at::kCPU);
  // State starting from the given noise [C,H,W] (copied, converted to float32; stays on its device).
  explicit NoiseWarper(const at::Tensor& initialNoise, const NoiseWarperOptions& options = {});

  // Advances the state by one frame. flow: [2,h,w] forward flow in pixels of its own grid; it is
  // resized to the state (bilinear when enlarging, area when shrinking) with dx·W/w, dy·H/h.
  // Errors (wrong shape, non-finite values) leave the state unchanged.
  Result<void> step(const at::Tensor& flow);

  // The current noise [C,H,W] (a copy), degraded by γ if set.
  at::Tensor noise();
  // The current noise shrunk to [C,outH,outW] with unit variance, degraded by γ if set.
  at::Tensor noise(int64_t outHeight, int64_t outWidth);

  const at::Tensor& stateNoise() const { return m_noise; }  // [C,H,W], no degradation
  const at::Tensor& weights() const { return m_weight; }    // [H,W], > 0
  int64_t channels() const { return m_noise.size(0); }
  int64_t height() const { return m_noise.size(1); }
  int64_t width() const { return m_noise.size(2); }
  int64_t frame() const { return m_frame; }                   // steps taken so far
  const WarpStepInfo& lastStepInfo() const { return m_lastInfo; }

  // Frame 0 is initialNoise [C,H,W] (shrunk), frame k+1 is frame k warped by flows[k]
  // ([F−1,2,h,w]). Returns [F,C,outH,outW]. Reports progress ("warp") and honours cancel.
  static Result<at::Tensor> warpSequence(const at::Tensor& initialNoise, const at::Tensor& flows,
                                         const WarpSequenceOptions& options = {}, JobContext* ctx = nullptr);
  // flow [2,h,w] -> [2,H,W] with displacements rescaled (dx·W/w, dy·H/h).
  static at::Tensor resizeFlow(const at::Tensor& flow, int64_t height, int64_t width);

 private:
  at::Tensor degraded(const at::Tensor& n);

  NoiseWarperOptions m_options;
  at::Generator m_gen;
  at::Tensor m_noise;   // [C,H,W] float32
  at::Tensor m_weight;  // [H,W] float32
  int64_t m_frame = 0;
  WarpStepInfo m_lastInfo;
  WarpWorkspace m_workspace;  // CPU back end scratch, reused every step
};

}  // namespace ns
