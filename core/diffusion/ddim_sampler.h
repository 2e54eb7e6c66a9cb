#pragma once
// DDIM sampling loop (docs/algorithms.md §7.3) over any descending timestep list, so it also serves
// structured init (start mid-schedule) and DDIM regeneration after inversion.
//
//   auto x0 = ns::sampleDdim(model, schedule, xT, schedule.timesteps(50), cond, uncond,
//                            7.5, 0.0, nullptr, ctx);
//
// x: image [B,C,H,W] or video [B,C,F,H,W] float. cond/uncond: batch 1 (repeated) or B; the
// model sees [uncond; cond] as one batch of 2B, or cond alone when cfgScale == 1. The model's
// PredictionType is respected (ε, v or x0). Step i goes from timesteps[i] to timesteps[i+1]
// (after the last one to the schedule's final ᾱ). eta > 0 needs `gen`; its variance noise is
// drawn on the CPU and moved to x's device, so CPU and CUDA runs match.
// Cancel is checked before every model call (ErrorKind::Cancelled); progress is reported after
// every step as stage "denoise" with the step's x̂0 as preview when ctx.wantsPreview()
// (decoded through previewDecode when given). Model exceptions become ErrorKind::Model.
// Thread: the caller's; run it under c10::InferenceMode (jobs create the guard).

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/diffusion/guided_predictor.h"
#include "core/diffusion/noise_schedule.h"
#include "core/jobs/job_context.h"
#include "core/model/denoiser.h"
#include "core/util/result.h"

namespace ns {

using PreviewDecodeFn = std::function<at::Tensor(const at::Tensor&)>;

struct DdimSampleOptions {
  Guidance guidance;              // scale / per-row scales / rescale φ
  double eta = 0.0;
  at::Generator* gen = nullptr;   // needed when eta > 0
  std::string stage = "denoise";  // progress stage name
  PreviewDecodeFn previewDecode;  // optional x̂0 -> frames for previews
  // Optional: called after each step with (step index i, the new x). Runs on the caller's thread.
  std::function<void(size_t, const at::Tensor&)> onStep;
};

Result<at::Tensor> sampleDdim(Denoiser& model, const NoiseSchedule& schedule, at::Tensor x_T,
                              const std::vector<int64_t>& timesteps, const Conditioning& cond,
                              const Conditioning& uncond, double cfgScale, double eta, at::Generator* gen,
                              JobContext& ctx, const PreviewDecodeFn& previewDecode = {});

// Same loop with every option (per-row guidance, guidance rescale, step hook).
Result<at::Tensor> sampleDdim(Denoiser& model, const NoiseSchedule& schedule, at::Tensor x_T,
                              const std::vector<int64_t>& timesteps, const Conditioning& cond,
                              const Conditioning& uncond, const DdimSampleOptions& options, JobContext& ctx);

// Checks that `timesteps` is non-empty, strictly descending and inside [0, T−1]; the error
// names `what` (e.g. "sampler timesteps").
Result<void> validateTimesteps(const std::vector<int64_t>& timesteps, int trainSteps, const std::string& what);

}  // namespace ns
