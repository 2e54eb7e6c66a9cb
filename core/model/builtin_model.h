#pragma once
// Finding and loading the built-in model ("builtin-shapes-v1"): a folder with model.json,
// weights.safetensors ("unet.*" EMA weights + "autoencoder.*", float16) and optionally
// verifier.safetensors ("classifier.*"). The format is described in docs/ and
// /work/notes/model_api.md; noisestudio-train writes it.
// Thread: loadBuiltinModel may run on any thread (typically the model thread, which then owns
// the bundle).

#include <string>

#include "core/model/model_bundle.h"
#include "core/util/result.h"

namespace ns {

constexpr const char* kBuiltinModelId = "builtin-shapes-v1";

// Folder of the shipped model: $NS_BUILTIN_MODEL_DIR, else <exe dir>/../share/noisestudio/models/builtin,
// else <source checkout>/resources/models/builtin ($NS_SOURCE_DIR, else the checkout this was
// built from). The first that holds a model.json wins; "" if none does.
std::string findBuiltinModelDir();

// Loads model.json + weights.safetensors (+ verifier.safetensors if present) into a ModelBundle on
// `device` ("cpu"/"cuda"; "cuda" falls back to the CPU with a warning when unavailable).
// denoiser = BuiltinDenoiser, codec = AutoencoderCodec (applies latent.scale), text =
// VocabularyConditioner, verifier = ShapesVerifier (null without verifier file).
// Errors name the file and the field (ErrorKind::Model; ErrorKind::Io when a file is missing).
Result<ModelBundle> loadBuiltinModel(const std::string& dir, const std::string& device = "cpu");

}  // namespace ns
