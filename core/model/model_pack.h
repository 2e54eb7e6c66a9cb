#pragma once
// Model packs ("Bring your own model"): a folder with model.json (format "noisestudio-pack") and
// TorchScript modules, loaded into the same ModelBundle the built-in model uses:
//   denoiser = TorchscriptDenoiser (denoiser.pt), codec = TorchscriptCodec (vae_encoder.pt +
//   vae_decoder.pt) or IdentityCodec (pixel packs), text = TorchscriptTextConditioner
//   (text_encoder.pt + vocab.json + merges.txt) or, with "text": "none", a conditioner that
//   ignores prompts and reports their words. docs/model-packs.md describes every field.
// On load every module runs once on a tiny input (batch 1, size_multiple² latent pixels, 2
// frames for video; model.json "dry_run" can raise both for traces that fixed them) and the
// shapes are checked, so a bad pack fails here with a message naming
// the file and field, not in the middle of a render.
// Thread: may run on any thread (typically the model thread, which then owns the bundle).

#include <string>

#include "core/model/model_bundle.h"
#include "core/util/result.h"

namespace ns {

// `device`: "cpu" or "cuda" ("cuda" falls back to the CPU with a warning when unavailable).
// Errors: ErrorKind::Io for missing files, ErrorKind::Model for everything else.
Result<ModelBundle> loadModelPack(const std::string& dir, const std::string& device = "cpu");

// The "format" string of <dir>/model.json ("noisestudio-pack", "noisestudio-model"), or an error
// when the file is missing or not JSON. Used to pick the loader.
Result<std::string> modelFolderFormat(const std::string& dir);

}  // namespace ns
