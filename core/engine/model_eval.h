#pragma once
// Evaluation of the built-in model against the bar of the model issue: generate from held-out
// single-object captions, classify with the shipped verifier, compare with the caption, and
// measure the Fréchet distance of verifier features to clean held-out scenes.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/jobs/job_context.h"
#include "core/model/model_bundle.h"
#include "core/util/result.h"

namespace ns {

struct ModelEvalRequest {
  int samples = 256;
  int steps = 50;
  double cfg = 4.0;
  uint64_t seed = 0;     // generation noise seeds seed + i; held-out scenes drawn from their own stream
  int batch = 32;
  int gridSamples = 32;  // how many generated samples to keep for a picture grid
};

struct ModelEvalReport {
  int samples = 0;
  double colourAccuracy = 0, shapeAccuracy = 0, bothAccuracy = 0;
  double verifierCleanColourAccuracy = 0, verifierCleanShapeAccuracy = 0;  // the verifier on the clean held-out scenes
  double frechet = 0;           // generated vs clean held-out scenes, verifier features
  double frechetCleanSplit = 0; // clean vs clean (two halves): the floor that sample size allows
  double seconds = 0;
  std::vector<std::string> captions;  // first gridSamples captions
  at::Tensor grid;                    // [gridSamples,3,H,W] in [-1,1]
};

Result<ModelEvalReport> evaluateModel(ModelBundle& model, const ModelEvalRequest& req, JobContext& ctx);

}  // namespace ns
