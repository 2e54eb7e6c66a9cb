#pragma once
// NoiseEdits: edits on edit-friendly noise maps (InversionResult) from the edit-friendly DDPM
// paper's noise-space edits. Each returns a new InversionResult (the input is not modified) that
// EditFriendlyInversion::reverse accepts as is; a region edit passes the edited result together
// with a mask and the unedited result (EditFriendlyReverseOptions::mask / sourcePath).
//
// Conventions: the last two dims of every map are (H, W) in latent pixels; the channel axis is
// dim 1 of x0 (dim 2 of zs/xts). Pure functions; any thread.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "core/diffusion/edit_friendly_inversion.h"
#include "core/util/result.h"

namespace ns {

class NoiseEdits {
 public:
  // Translates x_T, every z_k and every stored x_k by (dx, dy) latent pixels: dx > 0 moves content
  // right, dy > 0 down. Exposed borders get fresh draws from a generator seeded with `seed`:
  // z_k ← N(0,1) (k = 1…T) and x_k ← √(1−A_k)·n_k (the path of a zero latent; x_0 ← 0).
  // |dx| and |dy| must be smaller than the latent width and height.
  static Result<InversionResult> shift(const InversionResult& inversion, int dx, int dy, uint64_t seed);

  // Colour (per-channel offset δ_c in latent units) added along the noise path so that, for a
  // denoiser that ignores the offset, the reverse pass ends at x0 + δ whatever the skip:
  //   every step k = 1…T adds o_k = δ·√(A_{k−1}/A_0)/M to x_{k−1}, where M counts the steps with
  //   η_k·σ_k > 0, realised as z_k += o_k/(η_k·σ_k) (steps with η_k·σ_k = 0 are left alone);
  //   x_k += δ·√(A_k/A_0)·(number of such steps above k)/M, so starting at any skip S and adding
  //   the remaining steps' share sums to exactly δ at x_0 (an offset o at x_{k−1} reaches x_0 as
  //   o·√(A_0/A_{k−1}) when ε̂ does not react to it). A real model partly reacts; the offsets
  //   injected at low noise levels dominate what survives.
  // `offsets` has one value per channel. Reverse with the inversion's η (no etaOverride).
  static Result<InversionResult> colourOffset(const InversionResult& inversion, const std::vector<double>& offsets);

  // A [1,1,H,W] float mask that is 1 inside the box [x0,x1)×[y0,y1) (latent pixels), 0 elsewhere.
  static at::Tensor boxMask(int64_t height, int64_t width, int64_t x0, int64_t y0, int64_t x1, int64_t y1);
};

}  // namespace ns
