#pragma once
// Video-MSG planning through the model (docs/algorithms.md §4.1 steps 2 and 6; issue 19 item 1): the
// parts of a project's sketch that the image model paints itself.
//   - background: a "generate" background is rendered by the model from background.prompt, or,
//     when that is empty, from the global prompt with the objects' prompts taken out;
//   - objects: an object whose source is "generate" is rendered from its prompt on a plain
//     backdrop and cut out (backdrop_matting.h); the cut-out is its sprite.
// Any image model works (built-in or an SD checkpoint): generation goes through generate() and so
// through the Denoiser/Codec/TextConditioner interfaces. Each part is made once per (prompt, seed,
// model, size, steps, guidance) and kept in a cache folder (safetensors, 8-bit like a PNG, so a
// render from the cache is bitwise the render that filled it). Losing the cache loses no work.
// Same contract as the engine verbs: calling thread, cancel between steps, Result, no global state.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/jobs/job_context.h"
#include "core/model/model_bundle.h"
#include "core/plan/project.h"
#include "core/plan/sketch_renderer.h"
#include "core/util/result.h"

namespace ns {

// One planned part, as it is made (for the window's sketch preview and logs).
struct PlannedPart {
  std::string what;     // "background" or the object's id
  std::string prompt;   // what the model was asked for
  uint64_t seed = 0;
  bool fromCache = false;
  at::Tensor image;     // background [3,H,W] in [-1,1]; object: the sprite RGBA [4,h,w] in [0,1]
};

struct ModelPlanOptions {
  // Folder for the planned parts; "" = no disk cache (every call renders them again).
  std::string cacheDir;
  // Called on the calling thread after each part is planned (generated or read from the cache).
  std::function<void(const PlannedPart&)> onPart;
};

struct ModelPlanResult {
  std::vector<PlannedPart> parts;  // in the order made: background first, then objects in list order
  int generated = 0, cached = 0;
};

// True when the project has parts the model must paint that `inputs` does not hold yet.
bool needsModelPlanning(const Project& project, const SketchInputs& inputs);

// Fills `inputs` with the model-planned background (if the background is "generate" and
// inputs.background is empty) and the sprites of "generate" objects (those not in inputs.sprites).
// On error `inputs` is unchanged.
Result<ModelPlanResult> planWithModel(ModelBundle& model, const Project& project, SketchInputs& inputs,
                                      const ModelPlanOptions& options, JobContext& ctx);

// The prompt a "generate" background is painted from: background.prompt, or the global prompt
// without the objects' prompts ("a red ball and a blue star on grass" with both objects planned
// -> "on grass"; an empty plan keeps the whole prompt).
std::string plannedBackgroundPrompt(const Project& project);
// The prompt an object is painted from: its prompt on a plain backdrop the model can draw. For
// the built-in vocabulary model that is the vocabulary background on which the object stands out
// most (and which it saw in training with that object); other models get a plain white (or, for
// white objects, black) studio backdrop.
std::string plannedObjectPrompt(const ModelBundle& model, const ProjectObject& object);
// Seeds: the part's own seed when set (re-roll), else the project's (objects: mixed with the id so
// two objects with the same prompt do not get the same picture).
uint64_t plannedBackgroundSeed(const Project& project);
uint64_t plannedObjectSeed(const Project& project, const ProjectObject& object);

// The cache folder of a saved project: "<file>.nsproj.cache/plan"; "" for an unsaved one.
std::string defaultPlanCacheDir(const Project& project);

// What identifies a planned part: every input of its render. The cache file name is a hash of
// it and the file stores it whole, so a hash collision reads as a miss.
std::string planCacheKey(const ModelBundle& model, const std::string& part, const std::string& prompt,
                         const std::string& negativePrompt, uint64_t seed, int width, int height, int steps, double cfg);
std::string planCacheFileName(const std::string& key);

}  // namespace ns
