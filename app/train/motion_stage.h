#pragma once
// Stage "motion" (noisestudio-train --stage motion): motion modules for the built-in shapes UNet —
// the built-in video model (issue 16 item 2; core/model/builtin_video_denoiser.h).
// The image model in --out (model.json + weights.safetensors, as the image stages exported it) is
// loaded and frozen (no gradients into the UNet or the autoencoder). Every step draws fresh clips
// from the scene generator (app/train/clip_generator.h: objects moving along smooth random paths,
// frames-min..frames-max frames, the scene's caption with 10% dropped), encodes them with the
// frozen autoencoder, noises them with one t per clip and trains only the motion modules on the
// ε loss (AdamW, warm-up + cosine learning rate, gradient clipping 1.0, EMA 0.999 — as the UNet
// stage). The modules start as AnimateDiff's do, with every proj_out zero, so step 0 IS the image
// model frame by frame. A held-out clip batch (its own seed stream, fixed t and noise) is scored
// with the image model, at the start and at the end, so model.json records whether the motion
// modules help. Checkpoint: <work>/motion.ckpt (modules "motion" and "ema", optimiser, meta).
// Export: <out>/motion.safetensors (EMA weights, float16, self-describing metadata; see
// core/model/builtin_motion_sites.h) and a "video" section in <out>/model.json.
// Thread contract: training thread only.

#include <string>

#include "app/train/stage_env.h"
#include "core/util/result.h"

namespace ns::train {

constexpr const char* kMotionCheckpoint = "motion.ckpt";
constexpr const char* kMotionFile = "motion.safetensors";

Result<StageOutcome> runMotionStage(const StageEnv& env);

// Writes <out>/motion.safetensors from <work>/motion.ckpt and adds the "video" section to
// <out>/model.json (the rest of model.json is kept). Returns the motion file's path.
Result<std::string> exportMotion(const TrainOptions& options);

}  // namespace ns::train
