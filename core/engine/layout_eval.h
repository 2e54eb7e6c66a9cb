#pragma once
// Layout-control evaluation (issue "Plan with layouts and trajectories"): how well rendered
// frames follow planned boxes. Random held-out layouts (1-2 built-in shapes in distinct colours
// whose (colour, shape, background) triples the built-in model never saw, moving along
// linear or Catmull-Rom trajectories over a background word) are rendered
//   - by plain generation (pure noise, same prompt and seeds: the "α = 1" baseline), and
//   - by renderProject at each noise ratio α (warped noise, structured init from the flat sketch);
//   - optionally from the model-planned sketch (Video-MSG planning, model_planning.h): the same
//     layout with a "generate" background and "generate" objects, so the model paints the
//     background from the prompt's setting and each object on a backdrop, cut out as its sprite;
// in every frame each object is found by colour segmentation (LayoutIouVerifier::findObjectBox)
// and compared with its planned box. A missed object counts IoU 0.
// Same contract as the engine verbs: calling thread, cancel between renders/steps, Result.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/jobs/job_context.h"
#include "core/model/model_bundle.h"
#include "core/plan/project.h"
#include "core/util/result.h"

namespace ns {

struct LayoutEvalRequest {
  int layouts = 50;
  int frames = 16;
  int steps = 30;
  double cfg = 4.0;
  std::vector<double> ratios{0.5, 0.6, 0.7, 0.8, 0.9};
  uint64_t seed = 1;  // layout i is drawn from seed + i (and renders with that seed)
  bool modelPlanned = false;  // add a "planned alpha=a" row per ratio (model-planned sketch)
};

struct LayoutEvalRow {
  std::string setting;       // "plain", "alpha=0.70" (flat sketch) or "planned alpha=0.70"
  double ratio = 1.0;        // α (1 for plain generation)
  double meanIou = 0;        // over every (layout, frame, object)
  double foundFraction = 0;  // objects found by colour segmentation
  int samples = 0;           // (layout, frame, object) triples
  // Frames whose background the model's verifier (the built-in ShapesVerifier) classifies as the
  // layout's background word; -1 when the model has no such verifier.
  double backgroundAccuracy = -1;
  double seconds = 0;
};

struct LayoutEvalReport {
  std::vector<LayoutEvalRow> rows;  // plain first, then ratios in request order
  int layouts = 0, frames = 0, steps = 0;
  double seconds = 0;
  double planSeconds = 0;  // model planning of the planned rows (once per layout, shared by their α)
};

// The model-planned version of an eval layout: background "generate" (derived from the prompt's
// setting) and every object "generate" from its prompt ("a pink star"), same boxes and paths.
Project modelPlannedLayout(const Project& flat);

// Layout `index` of the evaluation (deterministic in seed and index): a 64x64 project with
// `frames` frames, gradient sketch background for its background word, Warped noise.
Project makeEvalLayout(uint64_t seed, int frames);

// Sum of IoU and number of found objects of `project`'s planned boxes over frames [F,3,H,W] in [-1,1].
struct LayoutScore {
  double iouSum = 0;
  int found = 0;
  int samples = 0;
};
LayoutScore scoreLayout(const Project& project, const at::Tensor& frames);

Result<LayoutEvalReport> evaluateLayoutControl(ModelBundle& model, const LayoutEvalRequest& req, JobContext& ctx);

}  // namespace ns
