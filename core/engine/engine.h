#pragma once
// The engine's API: the one core/engine header ui/ and app/ include (the `layering` test,
// tests/check_layering.cmake, fails on any other). It declares generate, invert and edit and
// includes the other verbs' headers, so one include gives every verb, its request struct with
// defaults and its result type:
//   noise_verbs.h     warp, interpolate, search (noise shaping)
//   render_project.h  renderProject / projectNoise (the planning workflow's main job)
//   memory_budget.h   the memory check every job runs before it starts
// Everything else in core/engine (engine_common.h, inversion_support.h, backdrop_matting.h, ...) is
// internal to the verbs.
//
// The verbs are plain functions (DESIGN.md core/jobs): each takes a request value, a
// loaded ModelBundle and a JobContext, runs entirely on the calling thread (the model thread in
// the GUI, the main thread in the CLI), checks cancel between steps, creates its own
// c10::InferenceMode, and returns Result<...>. No global state; a failed or cancelled verb
// changes nothing outside its return value. Results cross to the UI as FrameBuffer (plain floats).
//
// Implemented in core/engine/*.cpp, one verb per file.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/engine/inverted_noise.h"
#include "core/model/context_windows.h"
#include "core/engine/memory_budget.h"
#include "core/engine/noise_verbs.h"
#include "core/engine/render_project.h"
#include "core/jobs/job_context.h"
#include "core/model/model_bundle.h"
#include "core/util/frame_buffer.h"
#include "core/util/result.h"

namespace ns {

// Frames plus notes for a person (unknown prompt words, a routed option...).
struct FramesResult {
  FrameBuffer frames;               // Image frames, RGB [0,1]
  std::vector<std::string> notes;   // shown as warnings; never errors
};

// ---- generate: text-to-image (or a clip of independently seeded frames) with DDIM ----
struct GenerateRequest {
  std::string prompt;
  std::string negativePrompt;  // unconditional branch; "" = the model's empty prompt
  uint64_t seed = 0;
  int steps = 30;
  double cfg = 4.0;
  double eta = 0.0;
  int size = 0;    // square pixel size; 0 = the model's native size (unless width/height are set)
  // Width x height in pixels for other aspect ratios (512x768 portraits, 768x512 landscapes on
  // SD): both multiples of the model's pixel grid. Both 0 = `size` x `size`; one alone is refused.
  int width = 0, height = 0;
  int frames = 1;  // > 1: frame i uses seed + i
  // x_T to start from instead of drawing it from the seed: [C,h,w] or [N,C,h,w] in the model's
  // (scaled) latent space; N must equal `frames` (or be 1 with frames 1). The sizes are then ignored.
  at::Tensor initialNoise;
};
Result<FramesResult> generate(ModelBundle& model, const GenerateRequest& req, JobContext& ctx);

// ---- invert: a real image/clip -> edit-friendly DDPM noise (or the DDIM baseline) ----
enum class InversionMethod {
  Invalid = 0,
  EditFriendly,  // Huberman-Spiegelglas et al.: x_T + z_1..z_T, exact reconstruction
  Ddim,          // DDIM inversion baseline: x_T only
};
struct InvertRequest {
  FrameBuffer source;  // Image frames, any size: cover-fitted (scale + centre crop) to the model size
  std::string prompt;  // source prompt ("" = unconditional)
  int steps = 100;
  double cfgSource = 3.5;
  double eta = 1.0;    // 0 routes to DDIM inversion (with a note)
  InversionMethod method = InversionMethod::EditFriendly;
  uint64_t seed = 0;   // auxiliary-path noise
  // Video models: the clip is inverted jointly, in context windows when longer than context.length.
  ContextWindowOptions context;
  WindowFusion fusion = WindowFusion::FreeNoise;
};
struct InvertResult {
  std::shared_ptr<const InvertedNoise> noise;
  FrameBuffer fittedSource;  // the source at model size (what is reconstructed), RGB [0,1]
  FrameBuffer noiseView;     // x_T as Noise frames (for the inspector / heat map)
  std::vector<std::string> notes;
};
Result<InvertResult> invert(ModelBundle& model, const InvertRequest& req, JobContext& ctx);

// ---- edit: re-render inverted noise with a new prompt / shift / colour / mask ----
struct EditRequest {
  std::shared_ptr<const InvertedNoise> noise;
  std::string prompt;             // target prompt; "" keeps the source prompt
  bool keepSourcePrompt = false;  // true: use the source prompt even if prompt is set
  int skip = 36;                  // edit-friendly: noisiest steps skipped (0..steps-1)
  double cfg = 15.0;              // target CFG (edit-friendly); DDIM regeneration uses it too
  int shiftX = 0, shiftY = 0;     // latent pixels
  std::array<float, 3> colour{0.f, 0.f, 0.f};  // RGB offset in [-1,1] pixel units
  FrameBuffer mask;               // optional 1-channel mask (any size) limiting the edit
  uint64_t seed = 0;              // fresh noise for exposed borders
  // Video models: the clip is re-rendered jointly, in context windows when longer than context.length.
  ContextWindowOptions context;
  WindowFusion fusion = WindowFusion::FreeNoise;
};
Result<FramesResult> edit(ModelBundle& model, const EditRequest& req, JobContext& ctx);

}  // namespace ns
