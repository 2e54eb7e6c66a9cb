#pragma once
// Stage 3: the shapes classifier (the built-in model's verifier). Trains on its own clean
// single-object scenes (colour + shape + background cross-entropy, with light noise/blur/flip
// augmentation so it also reads the slightly soft images the diffusion model makes), then
// measures accuracy on held-out single-object scenes (separate seeds). The bar is ≥ 0.98 on
// colour and shape; a miss is logged as a warning and recorded in model.json.
// Checkpoint: <work>/classifier.ckpt (module "classifier", optimizer, meta with "accuracy").
// Thread contract: training thread only (dataset generation uses a worker pool internally).

#include "app/train/stage_env.h"
#include "core/util/result.h"

namespace ns::train {

constexpr const char* kClassifierCheckpoint = "classifier.ckpt";
constexpr double kClassifierBar = 0.98;

Result<StageOutcome> runClassifierStage(const StageEnv& env);

}  // namespace ns::train
