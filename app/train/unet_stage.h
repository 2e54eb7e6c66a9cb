#pragma once
// Stage 2: the conditional UNet on scaled latents (ε-prediction). Encodes the whole dataset once
// with the frozen autoencoder of stage 1 (<work>/autoencoder.ckpt), then trains with AdamW,
// uniform t in [0, T), the scaled_linear schedule, 10% caption dropout (all-zero token rows:
// classifier-free guidance) and an EMA of the weights (decay 0.999, the one exported).
// A fixed probe batch (fixed scenes, t and noise) is scored at the first and last step, so the
// log and model.json show whether the loss went down. Checkpoint: <work>/unet.ckpt (modules
// "unet" and "ema", optimizer, meta). Thread contract: training thread only.

#include <ATen/core/Tensor.h>

#include "app/train/dataset.h"
#include "app/train/stage_env.h"
#include "core/util/result.h"

namespace ns::train {

constexpr const char* kUnetCheckpoint = "unet.ckpt";
constexpr int kTrainSteps = 1000;        // diffusion training timesteps
constexpr double kBetaStart = 0.00085;   // scaled_linear schedule
constexpr double kBetaEnd = 0.012;
constexpr double kCaptionDropout = 0.1;  // share of rows trained unconditionally

// ᾱ_t for t = 0..T-1 of the scaled_linear schedule (β_t = (√β0 + (√β1 − √β0)·t/(T−1))²),
// computed in float64 by ns::NoiseSchedule, returned as float32 [T] on the CPU.
at::Tensor alphasCumprod(int trainSteps = kTrainSteps, double betaStart = kBetaStart, double betaEnd = kBetaEnd);

Result<StageOutcome> runUnetStage(const StageEnv& env, const SceneDataset& data);

}  // namespace ns::train
