#pragma once
// WarpStep: one Go-with-the-Flow warp step S' = Warp(S, F) (docs/algorithms.md §2.2, defaults:
// xy_mode 'none', so the sub-pixel offset channels are always 0 and are not stored).
//  A. expansion candidate E: backward nearest lookup at round(q − F(q)); outside -> fresh.
//  B. contraction candidate P: every source p splats to round(p + F(p)); out-of-frame sources
//     are reset (fresh noise, weight 1) onto their own position.
//  C/D. occupancy M; E is kept only where nothing landed (holes).
//  E. joint re-Gaussianisation of [P|E] by provenance: the copies of one source pixel s (its
//     own P entry plus every hole that looked it up) form a group of size m; each copy becomes
//     x_s/sqrt(m) + φ_i − mean_g(φ) with weight ω_s/m. Reset pixels and out-of-frame lookups are
//     fresh N(0,1) with weight 1/m0, m0 = the number of init pixels in [P|E] (the reference's
//     zero group), so fresh splats barely count where a real source also lands.
//  F. contraction aggregation: n(q) = Σ ω_p n_p / sqrt(Σ ω_p²), Ω(q) = Σ ω_p.
//  G. S' = M ? P-aggregate : E; ω ← (ω/mean(ω) + 1e-5)^0.9999.
// Fresh noise φ is drawn only for the pixels that need it (group size ≥ 2 or fresh), in one
// at::randn({N, C}) call from the given CPU generator, in a fixed order (P pixels in raster order,
// then holes in raster order). Both back ends follow that order, so they give the same numbers
// (up to the summation order of the scatter-adds). Zero flow returns the noise bit for bit.
// Thread: not thread-safe for one state; independent states may be warped in parallel.

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace ns {

// Which implementation runs a step.
enum class WarpBackend {
  Invalid = 0,
  Auto,      // CpuLoops for CPU tensors, Aten otherwise
  CpuLoops,  // raw-pointer loops with at::parallel_for over channels (CPU only, fastest there)
  Aten,      // vectorised ATen ops (any device; the CUDA path)
};

// What a step did (for diagnostics and tests).
struct WarpStepInfo {
  int64_t resets = 0;       // sources whose destination was outside the frame
  int64_t holes = 0;        // target pixels nothing landed on
  int64_t freshHoles = 0;   // holes whose backward lookup fell outside the frame
  int64_t splitGroups = 0;  // source pixels with ≥ 2 copies (conditionally split)
  int64_t draws = 0;        // pixels that received fresh noise (N in randn({N, C}))
};

// Scratch buffers of the CPU back end, kept between steps so a step allocates (and page-faults)
// nothing once sized; also a spare state buffer to double-buffer into. Owned by one warper.
struct WarpWorkspace {
  std::vector<int32_t> dest, occ, copies, itemP, gid, holeQ, holeSrc, itemE, itemGroup;
  std::vector<uint8_t> valid;
  std::vector<float> coefScale, coef, wP, w2, omega, scaleE, wE, off, gsum, gsize;
  at::Tensor spareNoise, spareWeight;
};

class WarpStep {
 public:
  // noise [C,H,W] float32 contiguous, weight [H,W] float32 (> 0), flow [2,H,W] float32 on the
  // same device (pixels, forward). Replaces noise and weight with the warped state.
  // `workspace` (optional) keeps the CPU back end's buffers between calls.
  static WarpStepInfo run(at::Tensor& noise, at::Tensor& weight, const at::Tensor& flow, at::Generator& gen,
                          WarpBackend backend = WarpBackend::Auto, WarpWorkspace* workspace = nullptr);

 private:
  static WarpStepInfo runCpu(at::Tensor& noise, at::Tensor& weight, const at::Tensor& flow, at::Generator& gen,
                             WarpWorkspace& ws);
  static WarpStepInfo runAten(at::Tensor& noise, at::Tensor& weight, const at::Tensor& flow, at::Generator& gen);
};

}  // namespace ns
