#pragma once
// EditFriendlyInversion: edit-friendly DDPM inversion (Huberman-Spiegelglas et al., CVPR 2024),
// exactly as docs/algorithms.md §1.2–1.6 describe the reference code.
//
//   ns::EditFriendlyInversion inv(model, schedule);
//   auto maps = inv.invert(x0, srcCond, uncond, {/*steps*/100, /*eta*/1.0, /*cfg*/3.5}, ctx);
//   auto edited = inv.reverse(*maps, tarCond, uncond, {/*skip*/36, /*cfg*/15.0}, ctx);
//
// Indexing (k = 1…T, ascending noise): τ_k = timesteps[T−k] (timesteps is descending as a
// sampler uses it), A_k = ᾱ[τ_k], A_0 = the schedule's final ᾱ. xts[k] is x_k (xts[0] = x0) and
// zs[k−1] is z_k. σ_k² = (1−A_{k−1})/(1−A_k)·(1 − A_k/A_{k−1}); the step is
//   μ_k = √A_{k−1}·x̂0 + √(1 − A_{k−1} − η_k·σ_k²)·ε̂,    x_{k−1} = μ_k + η_k·σ_k·z_k
// (the reference's η·σ² inside the root). The reverse pass with the forward's prompt, scale and
// η reproduces x0 to float rounding for any deterministic Denoiser (model-agnostic).
//
// Shapes: x0 is image [B,C,H,W] (B images or the frames of a clip) or video [B,C,F,H,W].
// zs is [T, …x0], xts [T+1, …x0]. η = 0 is refused (z would divide by 0): use DdimInversion.
// Thread: the caller's (model thread); run under c10::InferenceMode. Borrows model and
// schedule, which must outlive this object. Model exceptions become ErrorKind::Model.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "core/diffusion/ddim_sampler.h"
#include "core/diffusion/noise_schedule.h"
#include "core/jobs/job_context.h"
#include "core/model/denoiser.h"
#include "core/util/result.h"

namespace ns {

// Everything the reverse pass needs; self-contained (it carries the ᾱ and σ it was made with),
// so it can be cached and edited (noise_edits.h) without the schedule.
struct InversionResult {
  at::Tensor xT;                    // = xts[T]
  at::Tensor zs;                    // [T, …x0]: zs[k−1] = z_k
  at::Tensor xts;                   // [T+1, …x0]: xts[k] = x_k, xts[0] = x0 (after drift correction)
  std::vector<int64_t> timesteps;   // descending: timesteps[i] = τ_{T−i}
  std::vector<double> alphaBars;    // A_0 … A_T (T+1 values; A_0 = final ᾱ)
  std::vector<double> sigmas;       // σ_1 … σ_T (index k−1), η-independent
  std::vector<double> etas;         // η_1 … η_T (index k−1)
  double eta = 1.0;                 // the scalar η requested (etas holds the per-step values)
  double cfgScale = 1.0;            // w_src used in the forward pass
  bool firstNoiseZeroed = false;    // z_1 was set to 0 as in the reference
  uint64_t seed = 0;                // seed of the auxiliary path

  int steps() const { return int(timesteps.size()); }
};

struct EditFriendlyInvertOptions {
  int steps = 100;                  // T
  double eta = 1.0;                 // η for every step (> 0)
  double cfgScale = 3.5;            // w_src; 1 = no guidance (one model call per step)
  uint64_t seed = 0;                // auxiliary path x_1…x_T
  bool zeroFirstNoise = false;      // z_1 ← 0 like the reference (then reconstruction is off by η·σ_1·z_1)
  std::vector<double> etaPerStep;   // optional η_1…η_T (overrides eta)
};

struct EditFriendlyReverseOptions {
  int skip = 0;                     // S: start from xts[T−S] at τ_{T−S}; 0 ≤ S < T
  double cfgScale = 15.0;           // w_tar for every row
  std::vector<double> cfgPerRow;    // optional per-row w_tar (size 1 or rows)
  double etaOverride = -1.0;        // < 0: use the inversion's η_k
  // Region edit (noise_edits.h): where mask == 1 the result follows this inversion's (edited)
  // path; elsewhere every state is replaced by sourcePath->xts (the unedited inversion). mask is
  // [H,W], [1,1,H,W], [B,1,H,W] (or with a frames axis for video), values in [0,1].
  at::Tensor mask;
  const InversionResult* sourcePath = nullptr;
  uint64_t freshNoiseSeed = 0;      // used when zs is undefined (fresh z_k, as the reference)
  PreviewDecodeFn previewDecode;    // optional x̂0 -> frames for progress previews
  std::function<void(int k, const at::Tensor& x)> onStep;  // after each step, x = x_{k−1}
};

class EditFriendlyInversion {
 public:
  EditFriendlyInversion(Denoiser& model, const NoiseSchedule& schedule) : m_model(&model), m_schedule(&schedule) {}

  // Forward pass (§1.3). cond = source prompt (pass uncond as cond with cfgScale 1 for ""). Uses
  // 2T model calls with guidance, T without. Progress stage "invert".
  Result<InversionResult> invert(const at::Tensor& x0, const Conditioning& cond, const Conditioning& uncond,
                                 const EditFriendlyInvertOptions& options, JobContext& ctx);

  // Reverse pass (§1.4) from xts[T−S] with zs[0 : T−S]. Rows: cond batch 1 or B gives B rows; with
  // B == 1 a cond batch P gives P rows (the same z maps for every row). Progress stage "denoise".
  Result<at::Tensor> reverse(const InversionResult& inversion, const Conditioning& cond, const Conditioning& uncond,
                             const EditFriendlyReverseOptions& options, JobContext& ctx);

  // Per-step pieces, shared by both passes so they round identically.
  static double sigma(double alphaBar, double alphaBarPrev);  // σ_k (η = 1)
  static at::Tensor mean(const PredictionPair& pred, double alphaBarPrev, double eta, double sigma);  // μ_k
  // One reverse step x_{k−1} = μ_k + η·σ·z (z undefined: no noise term).
  static at::Tensor reverseStep(const PredictionPair& pred, double alphaBarPrev, double eta, double sigma,
                                const at::Tensor& z);

 private:
  Denoiser* m_model;
  const NoiseSchedule* m_schedule;
};

}  // namespace ns
