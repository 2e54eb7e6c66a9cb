#pragma once
// Stage 1: the tiny autoencoder (the built-in model's Codec). Trains on the scene images with
// L1 + MSE reconstruction and a tiny latent L2 penalty (keeps latents bounded), then measures
// latentScale = 1/std of the latents of up to 4096 training images. Checkpoint:
// <work>/autoencoder.ckpt (module "autoencoder", optimizer, meta with "latent_scale").
// Thread contract: training thread only.

#include "app/train/dataset.h"
#include "app/train/stage_env.h"
#include "core/util/result.h"

namespace ns::train {

constexpr const char* kAutoencoderCheckpoint = "autoencoder.ckpt";

Result<StageOutcome> runAutoencoderStage(const StageEnv& env, const SceneDataset& data);

}  // namespace ns::train
