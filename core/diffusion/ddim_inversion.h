#pragma once
// DdimInversion: the DDIM-inversion baseline (docs/algorithms.md §1.8) and its regeneration.
//
//   ns::DdimInversion inv(model, schedule);
//   auto w = inv.invert(x0, srcCond, uncond, {/*steps*/100, /*cfg*/3.5}, ctx);   // w->xT at ᾱ[990]
//   auto x = inv.regenerate(*w, tarCond, uncond, 7.5, ctx);                       // DDIM η = 0
//
// Inversion walks the schedule's timesteps ascending: step i goes from the previous (lower)
// timestep (or the final ᾱ before the first) up to t = timesteps[T−1−i], with ε̂ evaluated at the
// *target* timestep t on the current latent: x ← √ᾱ_t·(x − √(1−ᾱ_cur)·ε̂)/√ᾱ_cur + √(1−ᾱ_t)·ε̂.
// The §1.8 baseline uses a schedule with stepsOffset 0 (990 … 0); pass that schedule for parity.
// With an ε̂ that does not depend on x, regeneration with the same prompt and scale returns x0 to
// float rounding. Also usable to invert only up to some timestep (structured init).
// Thread: the caller's (model thread), under c10::InferenceMode. Borrows model and schedule.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "core/diffusion/ddim_sampler.h"
#include "core/diffusion/noise_schedule.h"
#include "core/jobs/job_context.h"
#include "core/model/denoiser.h"
#include "core/util/result.h"

namespace ns {

struct DdimInversionOptions {
  int steps = 100;          // T (schedule.timesteps(steps))
  double cfgScale = 3.5;    // w_src; 1 = no guidance
  int64_t upToTimestep = -1;// >= 0: stop at the last timestep <= this value (partial inversion)
};

struct DdimInversionResult {
  at::Tensor xT;                   // the latent at timesteps.front()
  std::vector<int64_t> timesteps;  // descending; regeneration runs over exactly these
  at::Tensor trajectory;           // [n+1, …x0]: trajectory[0] = x0, trajectory[i] after i steps up
  double cfgScale = 1.0;
};

class DdimInversion {
 public:
  DdimInversion(Denoiser& model, const NoiseSchedule& schedule) : m_model(&model), m_schedule(&schedule) {}

  // x0: [B,C,H,W] or [B,C,F,H,W]. Progress stage "invert"; cancel between steps.
  Result<DdimInversionResult> invert(const at::Tensor& x0, const Conditioning& cond, const Conditioning& uncond,
                                     const DdimInversionOptions& options, JobContext& ctx);
  // The same inversion over an explicit descending timestep list.
  Result<DdimInversionResult> invert(const at::Tensor& x0, const std::vector<int64_t>& timesteps,
                                     const Conditioning& cond, const Conditioning& uncond, double cfgScale,
                                     JobContext& ctx);

  // Plain DDIM (η = 0) from inversion.xT over inversion.timesteps (sampleDdim).
  Result<at::Tensor> regenerate(const DdimInversionResult& inversion, const Conditioning& cond,
                                const Conditioning& uncond, double cfgScale, JobContext& ctx,
                                const PreviewDecodeFn& previewDecode = {});

 private:
  Denoiser* m_model;
  const NoiseSchedule* m_schedule;
};

}  // namespace ns
