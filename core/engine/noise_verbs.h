#pragma once
// Noise-shaping verbs (issue "Shape the noise"): warp, interpolate, search. Same contract as the
// verbs in engine.h: they run on the calling thread under their own c10::InferenceMode, check
// cancel between steps, report progress through the JobContext, return Result<...> and touch no
// global state. core has no codecs, so callers (CLI, GUI) decode media and compute optical flow
// (core/media) and hand tensors in.
//
// Implemented in warp_noise.cpp, interpolate.cpp, search_noise.cpp.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/jobs/job_context.h"
#include "core/model/context_windows.h"
#include "core/model/model_bundle.h"
#include "core/plan/project.h"
#include "core/plan/sketch_renderer.h"
#include "core/util/result.h"

namespace ns {

// ---- warp: Go-with-the-Flow noise along a video's (or a project sketch's) motion ----
struct WarpNoiseRequest {
  int channels = 4;           // C of the output noise
  int height = 64;            // output h×w (≤ the flow resolution; unit-variance shrink)
  int width = 64;
  double degradation = 0.0;   // γ of docs/algorithms.md §2.5 (0 = pure warped noise)
  uint64_t seed = 0;          // initial noise and all fresh noise
  std::string source;         // recorded in the metadata (file name)
  std::string flowMethod;     // recorded in the metadata (e.g. "dis-medium", "sketch-exact")
};

struct NoiseFrameStats {
  double mean = 0, std = 0;
  double lag1Horizontal = 0, lag1Vertical = 0;  // spatial lag-1 autocorrelation (≈ 0 for white noise)
  double temporalCorrelation = 0;               // corr(frame k, frame k−1); 0 for frame 0
};

struct WarpNoiseResult {
  at::Tensor noise;                            // [F,C,h,w] float32, CPU
  std::vector<NoiseFrameStats> stats;          // one per frame
  std::map<std::string, std::string> metadata; // format, source, flow method, seed, degradation, ...
  std::vector<std::string> notes;
};

// flows: [F−1,2,H,W] forward flow in pixels (core/media computeFlowSequence, or any exact flow),
// F ≥ 2; the noise is warped at H×W, then shrunk with unit variance to the requested size and
// degraded by γ.
Result<WarpNoiseResult> warpNoiseFromFlow(const at::Tensor& flows, const WarpNoiseRequest& req, JobContext& ctx);
// The video path: frames [F,3,H,W] in [-1,1] were decoded by the caller and `flows` computed from
// them (kept separate so core needs no OpenCV). Same as warpNoiseFromFlow plus frame checks.
Result<WarpNoiseResult> warpNoiseFromVideo(const at::Tensor& frames, const at::Tensor& flows,
                                           const WarpNoiseRequest& req, JobContext& ctx);
// A project: its sketch's exact flow, warped exactly as projectNoise does (seed = project.seed
// unless req.seed != 0, output size req.height×req.width, γ from req).
Result<WarpNoiseResult> warpNoiseFromProject(const Project& project, const SketchInputs& inputs,
                                             const WarpNoiseRequest& req, JobContext& ctx);
// Writes tensor "noise" [F,C,h,w] + metadata (format "noisestudio-warped-noise") as safetensors.
Result<void> saveWarpedNoise(const std::string& path, const WarpNoiseResult& result);
// Channel 0 of noise [F,C,h,w] as a diverging heat map [F,3,h,w] in [-1,1]: −3σ blue, 0 white, +3σ red.
at::Tensor noiseHeatmap(const at::Tensor& noise);
// Per-frame stats of [F,C,h,w] noise (NoiseStats).
std::vector<NoiseFrameStats> perFrameNoiseStats(const at::Tensor& noise);

// ---- interpolate: frames between two images through their DDIM-inverted noise ----
enum class InterpolationMethod {
  Invalid = 0,
  Slerp,           // slerp of the fully DDIM-inverted latents, decoded from T (§5.1)
  NoiseDiffusion,  // NoiseDiffusion mix at 70% of the schedule, clip + boost (§5.2)
  Lerp,            // linear mix of the fully inverted latents (baseline: loses variance mid-way)
};
struct InterpolateRequest {
  // [3,H,W] images or two clips [F,3,H,W] of the same F, in [-1,1], any size: cover-fitted to the
  // model size. Clips are inverted and decoded as clips: jointly with a video model (context
  // windows below when F > context.length), frame by frame with an image model.
  at::Tensor imageA, imageB;
  int frames = 9;             // ≥ 2 interpolation steps; step i has f = i/(frames−1)
  InterpolationMethod method = InterpolationMethod::Slerp;
  std::string prompt;         // conditional prompt for inversion and decoding ("" = empty prompt)
  int steps = 50;
  double cfg = 1.0;           // guidance for inversion and decoding (1 = conditional only)
  double gamma = 0.0;         // NoiseDiffusion fresh-noise share
  double clipBound = 2.0;     // NoiseDiffusion B
  double boost = 1.2;         // NoiseDiffusion μ+ν
  double level = 0.7;         // NoiseDiffusion: fraction of the steps inverted (SD scripts: 140/200)
  uint64_t seed = 0;          // NoiseDiffusion ε when γ > 0
  ContextWindowOptions context;  // video models, clips longer than context.length
  WindowFusion fusion = WindowFusion::FreeNoise;
};
struct InterpolateResult {
  at::Tensor frames;               // [steps·F,3,H,W] in [-1,1], CPU: step-major, each step a clip of F
  int64_t clipFrames = 1;          // F: 1 for two images
  std::vector<double> fractions;   // f per step
  std::vector<double> latentStd;   // std of each mixed latent (at the start level) per step
  int64_t startTimestep = 0;       // the timestep decoding starts from
  std::vector<std::string> notes;
};
Result<InterpolateResult> interpolateImages(ModelBundle& model, const InterpolateRequest& req, JobContext& ctx);

// ---- search: best starting noise for a prompt under the model's verifier ----
enum class NoiseSearchMethod {
  Invalid = 0,
  Random,     // best of N fresh noises
  ZeroOrder,  // pivot + neighbours at cosine λ (§6.2)
};
struct SearchNoiseRequest {
  std::string prompt;
  std::string negativePrompt;
  NoiseSearchMethod method = NoiseSearchMethod::Random;
  int candidates = 16;   // Random: N
  int iterations = 4;    // ZeroOrder: rounds
  int neighbours = 4;    // ZeroOrder: K
  double lambda = 0.95;  // ZeroOrder: cosine to the pivot
  int steps = 30;
  double cfg = 4.0;
  uint64_t seed = 0;
  int rangeBegin = 0;    // Random: score only candidates [rangeBegin, rangeEnd) (rangeEnd < 0 = all), for farms
  int rangeEnd = -1;
};
struct SearchNoiseResult {
  at::Tensor image;             // [1,3,H,W] in [-1,1], CPU: the best candidate's render
  at::Tensor noise;             // [1,C,h,w] the best noise
  std::vector<double> scores;   // every candidate, in evaluation order
  int bestIndex = -1;           // index into scores; the candidate index is firstIndex + bestIndex
  int firstIndex = 0;           // candidate index of scores[0] (the range's begin)
  double bestScore = 0;
  double firstScore = 0;        // candidate 0 (what plain generation from the first noise gives)
  std::string verifier;
  std::vector<std::string> notes;
};
Result<SearchNoiseResult> searchNoise(ModelBundle& model, const SearchNoiseRequest& req, JobContext& ctx);

}  // namespace ns
