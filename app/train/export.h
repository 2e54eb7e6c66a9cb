#pragma once
// Export: writes the trained stages from the work folder into the model folder that
// ns::loadBuiltinModel reads (/work/notes/model_api.md):
//   weights.safetensors  "unet.*" (EMA weights) + "autoencoder.*", float16
//   verifier.safetensors "classifier.*", float16 (when the classifier stage has run)
//   model.json           schedule, latent scale, architecture, vocabulary, training record
// Every file is written atomically (temp, fsync, rename), model.json last, so a reader never
// sees a model.json that points at missing or half-written weights.
// Thread contract: training thread only.

#include <string>

#include "app/train/train_options.h"
#include "core/util/result.h"

namespace ns::train {

struct ExportSummary {
  bool wroteWeights = false, wroteVerifier = false;
  std::string modelJsonPath;
};

// Needs <work>/autoencoder.ckpt (finished) and <work>/unet.ckpt; a missing classifier checkpoint
// only leaves out the verifier. Returns a BadInput error when there is nothing to export yet.
Result<ExportSummary> exportModel(const TrainOptions& options, double totalWallTimeS);

// Writes `text` to <path>.tmp, fsyncs and renames it over `path` (readers never see half a file).
Result<void> writeTextAtomic(const std::string& path, const std::string& text);

}  // namespace ns::train
