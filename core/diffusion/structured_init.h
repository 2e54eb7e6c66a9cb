#pragma once
// StructuredInit: Video-MSG structured noise initialisation (docs/algorithms.md §4.2). Noise the
// encoded sketch z0 to t* = round(ratio·T) − 1 and denoise from there with sampleDdim, so the
// sketch's layout and colours survive while the model adds detail.
//
//   ns::StructuredInit init(model, schedule);
//   auto r = init.run(z0, cond, uncond, {/*ratio*/0.7, /*steps*/50}, ctx);  // r->latents
//
// Timesteps: the schedule's N-step list from t* down. When t* is on the list (e.g. 699 on the
// 50-step trailing list 999, 979, …, 19) the sub-list has N − index(t*) entries (35 here);
// otherwise it starts at the first timestep ≤ t*. z0 is noised to the sub-list's first timestep
// (= t* when t* is on the list) so the noise level matches what the sampler assumes there.
// Noising: q-sample with the given noise (e.g. warped noise from NoiseWarper) or seeded noise
// drawn on the CPU; or, as an option, DDIM inversion of z0 up to that timestep.
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

// How z0 reaches the start timestep. Persisted by name; add new values at the end.
enum class StructuredNoising {
  Invalid = 0,
  QSample,        // √ᾱ·z0 + √(1−ᾱ)·ε (the reference: scheduler.add_noise)
  DdimInversion,  // deterministic DDIM inversion of z0 up to the start timestep (costs model calls)
};

struct StructuredInitOptions {
  double ratio = 0.7;         // noise inversion ratio α; t* = round(α·T) − 1
  int steps = 50;             // N of the full schedule
  double cfgScale = 6.0;      // guidance while denoising (and while inverting with DdimInversion)
  double eta = 0.0;           // DDIM η while denoising
  uint64_t seed = 42;         // q-sample noise (when `noise` is undefined) and η noise
  at::Tensor noise;           // optional ε for q-sampling, same shape as z0 (e.g. warped noise)
  StructuredNoising noising = StructuredNoising::QSample;
  PreviewDecodeFn previewDecode;
};

// t* and the timesteps the sampler will run, without running anything.
struct StructuredInitPlan {
  int64_t tStar = 0;               // round(ratio·T) − 1, clamped to [0, T−1]
  std::vector<int64_t> timesteps;  // descending; empty when every schedule timestep is > t*
  int startIndex = 0;              // index of timesteps.front() in the full N-step list
};

struct StructuredInitResult {
  at::Tensor latents;              // the denoised latents (z0's shape)
  at::Tensor start;                // x at timesteps.front() (the noised sketch)
  StructuredInitPlan plan;
};

class StructuredInit {
 public:
  StructuredInit(Denoiser& model, const NoiseSchedule& schedule) : m_model(&model), m_schedule(&schedule) {}

  static Result<StructuredInitPlan> plan(const NoiseSchedule& schedule, double ratio, int steps);

  // z0: encoded sketch [B,C,H,W] or [B,C,F,H,W]. If no timestep is ≤ t*, the latents are z0
  // unchanged (nothing to denoise). Progress stage "denoise" (and "invert" for DdimInversion).
  Result<StructuredInitResult> run(const at::Tensor& z0, const Conditioning& cond, const Conditioning& uncond,
                                   const StructuredInitOptions& options, JobContext& ctx);

 private:
  Denoiser* m_model;
  const NoiseSchedule* m_schedule;
};

}  // namespace ns
